// The host's structured log: one JSON object per line. The ingress writes its access log
// here, the logging provider writes guests' log records here, and the host writes its own
// events (denied capability calls, traps, start and stop). A LogSink is shared by every
// request thread, so write() must be thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

namespace isola::host {

enum class LogLevel { Error = 1, Warn = 2, Info = 3, Debug = 4, Trace = 5 };

inline std::string_view log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::Error: return "error";
    case LogLevel::Warn: return "warn";
    case LogLevel::Info: return "info";
    case LogLevel::Debug: return "debug";
    case LogLevel::Trace: return "trace";
  }
  return "info";
}

// The fields of one JSON object, written straight into a string: for records written on
// every request (the access log), where building a json value first would cost more
// than the rest of the line. Strings are escaped, and invalid UTF-8 (a client's path, a
// guest's text) is replaced by U+FFFD, as the json path does.
class JsonFields {
 public:
  JsonFields& str(std::string_view key, std::string_view value) {
    begin(key);
    append_string(value);
    return *this;
  }
  JsonFields& num(std::string_view key, uint64_t value) {
    begin(key);
    out_ += std::to_string(value);
    return *this;
  }
  // Milliseconds with nanosecond resolution, "0.012739".
  JsonFields& ms(std::string_view key, std::chrono::nanoseconds d) {
    begin(key);
    // Milliseconds with six decimals (exact nanoseconds), formatted with integers: the
    // access log writes two per request, and printf's float path showed in profiles.
    int64_t ns = d.count();
    if (ns < 0) {
      out_.push_back('-');
      ns = ns == INT64_MIN ? INT64_MAX : -ns;
    }
    out_ += std::to_string(ns / 1'000'000);
    char frac[8] = {'.'};
    int64_t rest = ns % 1'000'000;
    for (int i = 6; i >= 1; --i, rest /= 10) frac[i] = static_cast<char>('0' + rest % 10);
    out_.append(frac, 7);
    return *this;
  }
  // `"key":value,...` without the braces.
  const std::string& text() const { return out_; }

 private:
  void begin(std::string_view key) {
    if (!out_.empty()) out_.push_back(',');
    append_string(key);
    out_.push_back(':');
  }
  void append_string(std::string_view s);
  std::string out_;
};

inline void JsonFields::append_string(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out_.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // A run of printable ASCII other than '"' and '\\' (most of any access line) is copied
    // in one append.
    size_t run = i;
    while (run < s.size()) {
      const auto r = static_cast<unsigned char>(s[run]);
      if (r < 0x20 || r >= 0x80 || r == '"' || r == '\\') break;
      ++run;
    }
    if (run > i) {
      out_.append(s.data() + i, run - i);
      i = run;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out_.push_back('\\');
        out_.push_back(static_cast<char>(c));
      } else {  // a control character
        out_ += "\\u00";
        out_.push_back(kHex[c >> 4]);
        out_.push_back(kHex[c & 15]);
      }
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most
    // U+10FFFF) is copied; any other byte becomes U+FFFD.
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    uint32_t cp = len == 4 ? (c & 0x07u) : len == 3 ? (c & 0x0Fu) : (c & 0x1Fu);
    bool ok = len != 0 && c <= 0xF4 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (ok) ok = !(len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) && !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF));
    if (ok) {
      out_.append(s.substr(i, len));
      i += len;
    } else {
      out_ += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out_.push_back('"');
}

class LogSink {
 public:
  virtual ~LogSink() = default;
  // Writes `record` if `level` passes the sink's threshold. The sink adds "time" (RFC 3339,
  // UTC, milliseconds) and "level" in front of the record's own fields.
  virtual void write(LogLevel level, const nlohmann::json& record) = 0;
  // The same for a record already written as fields. By default through write(); sinks
  // that print lines override it to skip the json value.
  virtual void write_fields(LogLevel level, const JsonFields& fields) {
    if (enabled(level)) write(level, nlohmann::json::parse("{" + fields.text() + "}"));
  }
  virtual bool enabled(LogLevel level) const = 0;
};

// Writes JSON lines to a stdio stream (stderr by default); lines from concurrent requests
// never interleave, and each thread's lines keep their order.
//
// With a flush interval (what `isola up` uses), info and lower lines are buffered and a
// background thread writes them every interval, as nginx's `access_log ... buffer= flush=`
// does, instead of a write(2) per request (about 1.7 µs of the 20-28 µs of CPU the host
// spends on a small actor's request, median of four A/Bs). Warnings and errors still go
// out at once, with everything before them, and so does a buffer past kMaxPending (so
// memory stays bounded when the disk is slow). A crash can lose at most one interval of
// info lines; flush() and the destructor write everything. Without an interval, every
// line is written before write() returns.
class JsonLinesLog final : public LogSink {
 public:
  static constexpr size_t kMaxPending = 256 * 1024;

  explicit JsonLinesLog(std::FILE* out = stderr, LogLevel threshold = LogLevel::Info,
                        std::chrono::milliseconds flush_every = std::chrono::milliseconds(0))
      : out_(out), threshold_(threshold), flush_every_(flush_every) {
    if (flush_every_.count() > 0) flusher_ = std::thread([this] { flush_periodically(); });
  }

  ~JsonLinesLog() override {
    if (flusher_.joinable()) {
      {
        std::lock_guard lock(mu_);
        stopping_ = true;
      }
      wake_.notify_all();
      flusher_.join();
    }
    flush();
  }

  JsonLinesLog(const JsonLinesLog&) = delete;
  JsonLinesLog& operator=(const JsonLinesLog&) = delete;

  bool enabled(LogLevel level) const override { return level <= threshold_; }

  void write(LogLevel level, const nlohmann::json& record) override {
    if (!enabled(level)) return;
    nlohmann::ordered_json line;
    line["time"] = now_rfc3339();
    line["level"] = log_level_name(level);
    if (record.is_object())
      for (auto it = record.begin(); it != record.end(); ++it) line[it.key()] = it.value();
    else
      line["msg"] = record;
    // Guest text may hold invalid UTF-8: replace it rather than throw.
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.push_back('\n');
    put(text, level);
  }

  void write_fields(LogLevel level, const JsonFields& fields) override {
    if (!enabled(level)) return;
    std::string text;
    text.reserve(48 + fields.text().size());
    text.append("{\"time\":\"").append(now_rfc3339()).append("\",\"level\":\"").append(log_level_name(level));
    text.append("\",").append(fields.text()).append("}\n");
    put(text, level);
  }

  // Writes every line given so far before it returns.
  void flush() { drain(true); }

 private:
  void put(const std::string& text, LogLevel level) {
    {
      std::lock_guard lock(mu_);
      pending_.append(text);
      if (flush_every_.count() > 0 && level > LogLevel::Warn && pending_.size() < kMaxPending) return;
    }
    drain(false);
  }

  // Lines are appended to pending_ under the mutex; whichever thread finds no write in
  // progress becomes the writer and writes everything pending, outside the mutex, until
  // nothing is left. Holding the mutex across write(2) made every server thread queue
  // behind the slowest write; now a line waits at most for the write in progress, and
  // lines that arrive meanwhile go out in one write. Order is the order of append; nothing
  // is left behind, since the writer only stops after seeing pending_ empty under the
  // mutex. With `wait`, a caller that finds another writer waits for it, then writes
  // what is left itself (flush() must not return before its lines are out).
  void drain(bool wait) {
    {
      std::unique_lock lock(mu_);
      if (writing_) {
        if (!wait) return;
        written_.wait(lock, [this] { return !writing_; });
        if (pending_.empty()) return;
      }
      writing_ = true;
    }
    for (;;) {
      {
        std::lock_guard lock(mu_);
        batch_.clear();
        if (pending_.empty()) {
          writing_ = false;
          written_.notify_all();
          return;
        }
        batch_.swap(pending_);
      }
      std::fwrite(batch_.data(), 1, batch_.size(), out_);
      std::fflush(out_);
    }
  }

  void flush_periodically() {
    std::unique_lock lock(mu_);
    for (;;) {
      // A deadline rather than wait_for, so a spurious wake-up does not write early.
      auto due = std::chrono::steady_clock::now() + flush_every_;
      if (wake_.wait_until(lock, due, [this] { return stopping_; })) return;
      if (pending_.empty()) continue;
      lock.unlock();
      drain(false);
      lock.lock();
    }
  }

  // "2026-11-23T11:22:33.123Z". The date and time up to the second are formatted once per
  // second and thread: gmtime_r and snprintf showed in profiles at a line per request.
  static std::string now_rfc3339() {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::time_t t = system_clock::to_time_t(now);
    thread_local std::time_t cached_second = -1;
    thread_local char cached[80];  // room for any int fields, so -Wformat-truncation stays quiet
    if (t != cached_second) {
      std::tm tm{};
      gmtime_r(&t, &tm);
      std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
      cached_second = t;
    }
    std::string out(cached);
    char frac[6] = {'.', static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                    static_cast<char>('0' + ms % 10), 'Z', 0};
    out.append(frac, 5);
    return out;
  }

  std::FILE* out_;
  LogLevel threshold_;
  std::chrono::milliseconds flush_every_;
  std::mutex mu_;
  std::condition_variable wake_;     // the flusher's timer; notified to stop it
  std::condition_variable written_;  // a writer finished
  std::string pending_;              // guarded by mu_
  bool writing_ = false;             // guarded by mu_: some thread is in the write loop of drain()
  bool stopping_ = false;            // guarded by mu_
  std::string batch_;                // only touched by the thread that set writing_
  std::thread flusher_;              // with a flush interval only
};

}  // namespace isola::host
