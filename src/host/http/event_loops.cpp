#include "host/http/event_loops.hpp"

#include <algorithm>

namespace isola::host {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

struct EventLoops::Loop {
  net::io_context ioc;
  // Keeps run() from returning at moments when the loop has nothing to do.
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::atomic<unsigned> running{0};   // threads inside run(): the loop's own and helpers
  std::atomic<unsigned> busy{0};      // of those, inside a LongHandler
  std::atomic<uint64_t> progress{0};  // LongHandler entries and exits, ever
  // The watchdog's view, touched by it alone: progress as last seen, and since when.
  uint64_t seen = 0;
  Clock::time_point seen_at{};
};

thread_local EventLoops::Loop* EventLoops::current_ = nullptr;

EventLoops::EventLoops(unsigned threads) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) loops_.push_back(std::make_unique<Loop>());
}

EventLoops::~EventLoops() { stop(); }

net::io_context& EventLoops::first() { return loops_[0]->ioc; }

net::io_context& EventLoops::next() {
  return loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()]->ioc;
}

void EventLoops::start() {
  for (auto& loop : loops_) threads_.emplace_back([this, l = loop.get()] { run_loop(*l); });
  watchdog_ = std::thread([this] { watch(); });
}

void EventLoops::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  for (auto& loop : loops_) {
    loop->work.reset();
    loop->ioc.stop();
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::lock_guard lock(mu_);
  reap_helpers(true);
}

EventLoops::LongHandler::LongHandler() : loop_(current_) {
  if (!loop_) return;
  loop_->busy.fetch_add(1, std::memory_order_relaxed);
  loop_->progress.fetch_add(1, std::memory_order_relaxed);
}

EventLoops::LongHandler::~LongHandler() {
  if (!loop_) return;
  loop_->busy.fetch_sub(1, std::memory_order_relaxed);
  loop_->progress.fetch_add(1, std::memory_order_relaxed);
}

void EventLoops::run_loop(Loop& loop) {
  current_ = &loop;
  loop.running.fetch_add(1);
  // Handlers catch their own exceptions; this is for the unexpected (bad_alloc).
  for (;;) {
    try {
      loop.ioc.run();
      break;
    } catch (...) {
    }
  }
  loop.running.fetch_sub(1);
}

void EventLoops::run_helper(Loop& loop) {
  current_ = &loop;
  loop.running.fetch_add(1);
  while (!loop.ioc.stopped()) {
    try {
      loop.ioc.run_one_for(kStall);
    } catch (...) {
    }
    // Leave once another thread of the loop is free: of the running - 1 others, fewer
    // than all are busy. (Two helpers leaving at once may leave none free; the watchdog
    // then sends another after kStall.)
    if (loop.busy.load() + 1 < loop.running.load()) break;
  }
  loop.running.fetch_sub(1);
}

void EventLoops::watch() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, kPoll);
    if (stopping_) break;
    reap_helpers(false);
    auto now = Clock::now();
    for (auto& lp : loops_) {
      Loop& loop = *lp;
      uint64_t progress = loop.progress.load();
      unsigned running = loop.running.load(), busy = loop.busy.load();
      if (progress != loop.seen || busy < running || running == 0) {
        loop.seen = progress;
        loop.seen_at = now;
        continue;
      }
      if (now - loop.seen_at < kStall || helpers_.size() >= kMaxHelpers) continue;
      auto helper = std::make_unique<Helper>();
      Helper* h = helper.get();
      h->thread = std::thread([this, &loop, h] {
        run_helper(loop);
        h->done.store(true);
      });
      helpers_.push_back(std::move(helper));
      helpers_started_.fetch_add(1);
      loop.seen_at = now;  // the next helper, if this one gets stuck too, after another kStall
    }
  }
}

void EventLoops::reap_helpers(bool all) {
  for (auto it = helpers_.begin(); it != helpers_.end();) {
    if (all || (*it)->done.load()) {
      (*it)->thread.join();
      it = helpers_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace isola::host
