// The server's threads (internal to http/): one io_context per thread, each connection
// bound to one of them, and a watchdog that keeps a loop moving while its thread runs a
// long handler.
//
// Why not one io_context shared by all threads: then every completion may be picked up by
// any thread, so the scheduler wakes sleeping threads (futex calls, context switches) many
// times a request, and each connection's strand bounces between cores. With a loop per
// thread a connection's work stays on one thread, as in nginx's workers: in the waPC hello
// benchmark this served about 15% more requests per second.
//
// The price of a loop per thread is that a handler running a slow guest (up to its
// wall-clock limit) would hold up every other connection of its loop. The watchdog sees a
// loop whose threads have all been inside handlers, with none entering or leaving one, for
// kStall, and lends it a helper thread that runs the loop until one of its threads is free
// again. Connections keep their strands, so a loop may safely run on several threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace isola::host {

class EventLoops {
  struct Loop;  // one io_context, the threads running it, and their handler counts

 public:
  static constexpr std::chrono::milliseconds kStall{5};  // all threads of a loop stuck this long
  static constexpr std::chrono::milliseconds kPoll{2};   // the watchdog looks this often
  static constexpr unsigned kMaxHelpers = 256;           // at once, over all loops

  explicit EventLoops(unsigned threads);
  ~EventLoops();  // stop()
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;

  void start();  // the threads and the watchdog
  void stop();   // stops every loop and joins every thread; handlers running finish first

  boost::asio::io_context& first();
  boost::asio::io_context& next();  // for a new connection, round robin
  size_t size() const { return loops_.size(); }
  unsigned helpers_started() const { return helpers_started_.load(); }

  // Marks the calling thread, for its lifetime, as inside a handler that may run long (a
  // guest). Does nothing on a thread that is not one of the loops'.
  class LongHandler {
   public:
    LongHandler();
    ~LongHandler();
    LongHandler(const LongHandler&) = delete;
    LongHandler& operator=(const LongHandler&) = delete;

   private:
    Loop* loop_;
  };

 private:
  void run_loop(Loop& loop);
  void run_helper(Loop& loop);
  void watch();
  void reap_helpers(bool all);

  static thread_local Loop* current_;  // the loop the calling thread runs, if any
  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<unsigned> next_{0};
  std::vector<std::thread> threads_;

  std::mutex mu_;  // guards what follows
  std::condition_variable wake_;
  bool stopping_ = false;
  struct Helper {
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::vector<std::unique_ptr<Helper>> helpers_;
  std::thread watchdog_;
  std::atomic<unsigned> helpers_started_{0};
};

}  // namespace isola::host
