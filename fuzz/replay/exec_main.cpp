// isola_fuzz_exec: runs modules the way the fuzz_run target does, outside libFuzzer.
//
//   isola_fuzz_exec [--fuel N] [--lower-all] [--dump-memory FILE] MODULE.wasm...
//       prints the lines of each run (fuzz/exec_harness.hpp), preceded by {"module":PATH}
//       when there are several; fuzz/differential.mjs compares them with V8's.
//       --dump-memory writes the exported memory's bytes (as hashed) to FILE at the end.
//   isola_fuzz_exec --check FILE|DIR...
//       makes fuzz_run's checks of every file (the files of a directory, sorted, except *.md,
//       *.wat and dot files) and exits 1
//       if any fails: the regression test replays fuzz/regressions/ this way. A file named
//       after a host target (fuzz_guest_payloads-*, fuzz_claims-*, fuzz_manifest-*) goes
//       through that target's harness instead (fuzz/host_harness.hpp), in builds that have
//       the host layer.
//
// Exit status: 0 on success, 1 when a check fails, 2 on bad usage or an unreadable file.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "exec_harness.hpp"
#include "isola/engine.hpp"
#ifdef ISOLA_FUZZ_HOST_REPLAY
#include "host_harness.hpp"
#endif

namespace fs = std::filesystem;

namespace {

bool read_file(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

#ifdef ISOLA_FUZZ_HOST_REPLAY
// The host harness a regression input belongs to, by its name, or nullptr for a module.
using HostHarness = int (*)(const uint8_t*, size_t);
HostHarness host_harness_for(const std::string& path) {
  std::string name = fs::path(path).filename().string();
  if (name.starts_with("fuzz_guest_payloads-")) return isola::fuzz::fuzz_guest_payloads;
  if (name.starts_with("fuzz_claims-")) return isola::fuzz::fuzz_claims;
  if (name.starts_with("fuzz_manifest-")) return isola::fuzz::fuzz_manifest;
  return nullptr;
}

// Runs a host regression input; the reason it fails, if it does.
std::optional<std::string> check_host_input(HostHarness harness, const std::vector<uint8_t>& bytes) {
  try {
    harness(bytes.data(), bytes.size());
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}
#endif

int usage() {
  std::fprintf(stderr,
               "usage: isola_fuzz_exec [--fuel N] [--lower-all] [--dump-memory FILE] MODULE.wasm...\n"
               "       isola_fuzz_exec [--fuel N] --check FILE|DIR...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  isola::fuzz::ExecOptions options;
  bool check = false;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--check") {
      check = true;
    } else if (a == "--dump-memory" && i + 1 < argc) {
      options.dump_memory_path = argv[++i];
    } else if (a == "--lower-all") {
      options.lower_all = true;
    } else if (a == "--fuel" && i + 1 < argc) {
      char* end = nullptr;
      options.fuel = std::strtoull(argv[++i], &end, 10);
      if (!end || *end) return usage();
    } else if (a.starts_with("--")) {
      return usage();
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) return usage();

  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& e : fs::directory_iterator(p))
        // Notes (README.md), sources of hand-written inputs (.wat) and hidden files live
        // beside the inputs.
        if (e.is_regular_file() && e.path().filename().string()[0] != '.' && e.path().extension() != ".md" &&
            e.path().extension() != ".wat")
          in_dir.push_back(e.path().string());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(p);
    }
  }

  const isola::Engine engine(isola::fuzz::engine_config());
  int failed = 0;
  for (const auto& path : files) {
    std::vector<uint8_t> bytes;
    if (!read_file(path, bytes)) {
      std::fprintf(stderr, "isola_fuzz_exec: cannot read %s\n", path.c_str());
      return 2;
    }
    if (check) {
      std::optional<std::string> failure;
#ifdef ISOLA_FUZZ_HOST_REPLAY
      if (HostHarness harness = host_harness_for(path))
        failure = check_host_input(harness, bytes);
      else
#endif
        failure = isola::fuzz::check_input(engine, bytes, options);
      if (failure) {
        std::printf("FAIL %s: %s\n", path.c_str(), failure->c_str());
        ++failed;
      } else {
        std::printf("ok   %s\n", path.c_str());
      }
      continue;
    }
    if (files.size() > 1) std::printf("{\"module\":\"%s\"}\n", path.c_str());
    auto report = isola::fuzz::exec_module(engine, bytes, options);
    for (const auto& line : report.lines) std::printf("%s\n", line.c_str());
  }
  if (check) {
    std::printf("%zu passed, %d failed\n", files.size() - failed, failed);
  }
  return failed ? 1 : 0;
}
