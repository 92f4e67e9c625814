// Reading and writing the files `isola keys` and `isola claims` use: seed files (secret,
// mode 0600), public keys given inline or in a file, and modules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isola/engine.hpp"

namespace isola::cli {

// The whole file, refusing anything larger than `max_bytes`. Errors read "PATH: why".
Expected<std::vector<uint8_t>> read_binary_file(const std::string& path, uint64_t max_bytes);

// A key given on the command line: the argument itself if it looks like an nkey (56 or 58
// upper-case characters and no '/'), else the first non-blank line of the file it names.
Expected<std::string> read_key_argument(const std::string& arg);

// Creates `path` with mode 0600 holding `text` and a newline. Refuses to replace an
// existing file unless `force`.
Expected<bool> write_secret_file(const std::string& path, const std::string& text, bool force);

// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
// a reader never sees half a module (and OUT may be the input).
Expected<bool> write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace isola::cli
