// Waiting for the signals that ask a server to stop (SIGTERM, SIGINT), for `isola up`:
//   ShutdownSignals signals;            // from here on the signals are caught, not fatal
//   auto server = HttpServer::start(...);
//   signals.wait();                     // blocks until one arrives
//   server->shutdown(10s);
#pragma once

#include <memory>

namespace isola::host {

class ShutdownSignals {
 public:
  ShutdownSignals();   // catches SIGTERM and SIGINT from now until destruction
  ~ShutdownSignals();  // restores their default action
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Blocks until SIGTERM or SIGINT arrives (or has arrived since construction or the last
  // wait) and returns its number.
  int wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace isola::host
