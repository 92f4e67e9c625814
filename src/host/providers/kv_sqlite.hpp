// The embedded key-value backend: one SQLite file per store, in WAL mode with
// synchronous=FULL, so every acknowledged write is on disk before the guest hears about it
// and survives `kill -9` of the host.
#pragma once

#include <filesystem>
#include <memory>

#include "host/providers/kv_backend.hpp"

namespace isola::host::providers {

// Opens (creating if needed) the store at `file`, whose directory must exist.
isola::Expected<std::shared_ptr<KvBackend>> open_sqlite_kv(const std::filesystem::path& file);

}  // namespace isola::host::providers
