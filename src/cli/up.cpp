// `isola up [MANIFEST]`: serve an application over HTTP until SIGTERM or SIGINT
// (docs/host.md).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cli/cli_util.hpp"

#if ISOLA_HAVE_APP
#include "host/app/app.hpp"
#include "host/http/signals.hpp"
#include "host/log.hpp"
#include "host/manifest/manifest.hpp"
#endif

namespace isola::cli {

namespace {

constexpr const char* kUpUsage =
    "usage: isola up [MANIFEST] [--listen ADDR] [--state-dir DIR] [--threads N] [--log-level LEVEL]\n"
    "\n"
    "  Serves the application described by MANIFEST (default ./isola.toml; a .yaml or .yml\n"
    "  file is a waSCC host manifest) until SIGTERM or SIGINT, then shuts down gracefully and\n"
    "  exits 0. Prints `isola: listening on http://ADDR` once it accepts requests; the host\n"
    "  log (access lines, guest logs, denied capability calls) goes to stderr as JSON lines.\n"
    "\n"
    "  --listen ADDR      HOST:PORT instead of the manifest's address (port 0: any free port)\n"
    "  --state-dir DIR    where providers keep state (SQLite stores) instead of the manifest's\n"
    "  --threads N        event-loop threads serving requests (default: twice the cores, at\n"
    "                     least 4); guests run on them\n"
    "  --log-level LEVEL  error, warn, info (default), debug or trace\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "isola up: %s\n\n%s", message.c_str(), kUpUsage);
  return kExitUsage;
}

}  // namespace

#if ISOLA_HAVE_APP

int cmd_up(std::span<char* const> args) {
  using namespace isola::host;
  std::string manifest_path = "isola.toml";
  bool have_manifest = false;
  app::AppOptions options;
  LogLevel level = LogLevel::Info;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUpUsage, stdout);
      return kExitOk;
    } else if (a == "--listen") {
      if (!value(options.listen)) return usage_error("--listen needs HOST:PORT");
    } else if (a == "--state-dir") {
      if (!value(options.state_dir)) return usage_error("--state-dir needs a directory");
    } else if (a == "--threads") {
      std::string n;
      if (!value(n)) return usage_error("--threads needs a number");
      char* end = nullptr;
      errno = 0;
      unsigned long t = std::strtoul(n.c_str(), &end, 10);
      if (n.empty() || n[0] == '-' || *end != '\0' || errno != 0 || t < 1 || t > 1024)
        return usage_error("--threads needs a number from 1 to 1024, not '" + n + "'");
      options.threads = static_cast<unsigned>(t);
    } else if (a == "--log-level") {
      std::string l;
      if (!value(l)) return usage_error("--log-level needs a level");
      if (l == "error") level = LogLevel::Error;
      else if (l == "warn") level = LogLevel::Warn;
      else if (l == "info") level = LogLevel::Info;
      else if (l == "debug") level = LogLevel::Debug;
      else if (l == "trace") level = LogLevel::Trace;
      else return usage_error("unknown log level '" + l + "' (error, warn, info, debug, trace)");
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option '" + std::string(a) + "'");
    } else if (!have_manifest) {
      manifest_path = std::string(a);
      have_manifest = true;
    } else {
      return usage_error("one manifest only (also got '" + std::string(a) + "')");
    }
  }

  // Info lines (access, guest output) are written every 20 ms rather than one write(2)
  // each; warnings and errors at once (JsonLinesLog).
  JsonLinesLog log(stderr, level, std::chrono::milliseconds(20));
  auto manifest = load_manifest(manifest_path);
  if (!manifest) {
    std::fprintf(stderr, "isola up: %s\n", manifest.error().message.c_str());
    return kExitUsage;
  }
  auto app = app::App::create(std::move(*manifest), options, &log);
  if (!app) {
    std::fprintf(stderr, "isola up: %s\n", app.error().message.c_str());
    return kExitFailure;
  }
  // Catch the signals before serving, so one that arrives early still stops us cleanly.
  ShutdownSignals signals;
  if (auto started = (*app)->start(); !started) {
    std::fprintf(stderr, "isola up: %s\n", started.error().message.c_str());
    return kExitFailure;
  }
  std::printf("isola: listening on http://%s\n", (*app)->local_address().c_str());
  std::fflush(stdout);
  int sig = signals.wait();
  log.write(LogLevel::Info, {{"log", "host"}, {"event", "stopping"}, {"signal", sig}});
  (*app)->shutdown(std::chrono::seconds(10));
  log.write(LogLevel::Info, {{"log", "host"}, {"event", "stopped"}});
  return kExitOk;
}

#else

int cmd_up(std::span<char* const> args) {
  (void)args;
  return usage_error("this build has no serverless host (configure with the `app` host part)");
}

#endif

}  // namespace isola::cli
