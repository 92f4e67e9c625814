#include "host/http/signals.hpp"

#include <csignal>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

namespace isola::host {

// Asio's signal_set installs the handlers and queues a signal that arrives while nobody
// waits, so a SIGTERM during start-up is not lost.
struct ShutdownSignals::Impl {
  boost::asio::io_context ioc;
  boost::asio::signal_set set{ioc, SIGTERM, SIGINT};
};

ShutdownSignals::ShutdownSignals() : impl_(std::make_unique<Impl>()) {}

ShutdownSignals::~ShutdownSignals() = default;

int ShutdownSignals::wait() {
  int received = 0;
  impl_->set.async_wait([&](const boost::system::error_code& ec, int number) {
    if (!ec) received = number;
  });
  impl_->ioc.restart();
  impl_->ioc.run();
  return received;
}

}  // namespace isola::host
