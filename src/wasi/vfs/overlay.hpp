// The overlay mount's knobs beyond vfs.hpp (overlay.cpp): the cap on what its in-memory
// layer may hold, which tests lower to reach it quickly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "wasi/vfs/vfs.hpp"

namespace isola::wasi::vfs {

// What one overlay's upper layer may hold (file contents, names, symlink targets) before
// writes fail with ENOSPC: a guest cannot grow the host's memory without bound.
inline constexpr uint64_t kOverlayDefaultMaxBytes = 1ull << 30;

// open_overlay with another cap than kOverlayDefaultMaxBytes.
Result<std::shared_ptr<Dir>> open_overlay(const std::string& host_path, uint64_t max_bytes);

}  // namespace isola::wasi::vfs
