// `isola`: one binary, one subcommand per job. Each subcommand lives in its own file.
#include <csignal>
#include <cstdio>
#include <exception>
#include <span>
#include <string_view>

#include "cli/cli_util.hpp"

#ifndef ISOLA_VERSION
#define ISOLA_VERSION "0.1.0"
#endif

namespace {

constexpr const char* kUsage =
    "usage: isola <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  run       run a WebAssembly module, or one of its exported functions\n"
    "  inspect   show a module's imports, exports, memories, tables and custom sections\n"
    "  wast      run WebAssembly spec tests (the JSON form written by wast2json)\n"
    "  keys      generate and inspect nkeys (Ed25519 keys for signing actors)\n"
    "  claims    sign a module with capability claims, or inspect and verify them\n"
    "  up        serve an application (isola.toml or a waSCC manifest) over HTTP\n"
    "  version   print the version\n"
    "  help      show this help, or `isola help <command>` for a command's options\n";

int dispatch(std::string_view cmd, std::span<char* const> rest) {
  using namespace isola::cli;
  if (cmd == "run") return cmd_run(rest);
  if (cmd == "inspect") return cmd_inspect(rest);
  if (cmd == "wast") return cmd_wast(rest);
  if (cmd == "keys") return cmd_keys(rest);
  if (cmd == "claims") return cmd_claims(rest);
  if (cmd == "up") return cmd_up(rest);
  if (cmd == "version" || cmd == "--version" || cmd == "-V") {
    std::printf("isola %s\n", ISOLA_VERSION);
    return kExitOk;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    if (!rest.empty()) {
      std::string_view sub = rest[0];
      if (sub == "run" || sub == "inspect" || sub == "wast" || sub == "keys" || sub == "claims" || sub == "up") {
        static char help_flag[] = "--help";
        char* argv[] = {help_flag};
        return dispatch(sub, std::span<char* const>(argv, 1));
      }
    }
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  std::fprintf(stderr, "isola: unknown command '%.*s'\n\n%s", static_cast<int>(cmd.size()), cmd.data(),
               kUsage);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return isola::cli::kExitUsage;
  }
  // A guest writing to a closed pipe or socket gets EPIPE; it must not kill the host.
  std::signal(SIGPIPE, SIG_IGN);
  // Nothing a module or a test script does may take the command down with an exception.
  try {
    int rc = dispatch(argv[1], std::span<char* const>(argv + 2, static_cast<size_t>(argc - 2)));
    std::fflush(stdout);
    return rc;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "isola: internal error: %s\n", e.what());
  } catch (...) {
    std::fflush(stdout);
    std::fprintf(stderr, "isola: internal error: unknown exception\n");
  }
  return isola::cli::kExitFailure;
}
