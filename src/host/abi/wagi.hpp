// WAGI: any WASI command as an HTTP handler, CGI/1.1 style (RFC 3875, as Deis Labs' WAGI
// does it). The request becomes the program's environment, arguments and stdin; its stdout
// is a CGI response (header lines, a blank line, the body).
//
//   isola::host::wagi::Exchange ex(request, options);
//   auto ctx = isola::wasi::Context::create(ex.config());   // ex must outlive the run
//   (*ctx)->attach(store);
//   auto inst = pre->instantiate(store);
//   HttpResponse resp = ex.response(isola::wasi::run_command(store, *inst));
//
// The responses for each failure (no blank line, bad header, missing Content-Type, output
// too large, trap) are listed in docs/abi.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "host/http_message.hpp"
#include "isola/engine.hpp"
#include "isola/wasi.hpp"

namespace isola::host::wagi {

struct Options {
  // The route's fixed part, without any trailing "/..." ("/hello", or "" for a catch-all).
  // SCRIPT_NAME and args[0]; PATH_INFO is the rest of the path.
  std::string script_name;
  std::string matched_route;      // X_MATCHED_ROUTE, the route as written ("/api/...")
  std::vector<std::string> env;   // the component's own "NAME=VALUE"s (request variables win)
  std::vector<wasi::DirMount> dirs;  // the component's preopens
  std::string server_software = "Isola/0.1";
  size_t max_stdout = 16u << 20;   // a larger response is a 500
  size_t max_stderr_line = 16u << 10;
  // Receives the program's stderr, one line at a time (without the newline); lines longer
  // than max_stderr_line are split.
  std::function<void(std::string_view line)> on_stderr;
};

// One request's run of a WAGI program: what goes in and what came out.
class Exchange {
 public:
  Exchange(const HttpRequest& request, Options options);
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // The WASI configuration: CGI variables + the component's env, args = [SCRIPT_NAME],
  // the body on stdin, stdout captured here, stderr to on_stderr. The stdout and stderr
  // sinks point into this object, which must outlive the Context made from it. The body
  // moves into the first Config made; call once.
  wasi::Config config();

  // The HTTP response from the program's outcome and what it wrote to stdout.
  HttpResponse response(const Expected<int, Trap>& outcome);

  const std::string& stdout_bytes() const { return stdout_; }
  bool stdout_overflowed() const { return overflow_; }

 private:
  void on_stderr_bytes(std::string_view b);
  void flush_stderr();

  Options opt_;
  std::vector<std::string> env_;
  std::string body_;
  std::string stdout_;
  bool overflow_ = false;
  std::string stderr_line_;
};

// The CGI/1.1 environment for `request` ("NAME=VALUE" strings), including the component's
// own variables from `options.env` (a request variable of the same name replaces them).
std::vector<std::string> cgi_environment(const HttpRequest& request, const Options& options);

// Parses a CGI response: header lines ended by LF or CRLF, a blank line, the body.
// `Status: 404 Not Found` sets the status; `Location` without Status gives 302; a missing
// Content-Type (without Location, and unless a Status was given with an empty body), a
// malformed header block or no blank line give 500 with a plain-text body that says why.
HttpResponse parse_cgi_response(std::string_view output);

}  // namespace isola::host::wagi
