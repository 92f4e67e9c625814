// The host's structured log: one JSON object per line. The ingress writes its access log
// here, the logging provider writes guests' log records here, and the host writes its own
// events (denied capability calls, traps, start and stop). A LogSink is shared by every
// request thread, so write() must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

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
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out_.push_back('\\');
        out_.push_back(static_cast<char>(c));
      } else if (c < 0x20) {
        out_ += "\\u00";
        out_.push_back(kHex[c >> 4]);
        out_.push_back(kHex[c & 15]);
      } else {
        out_.push_back(static_cast<char>(c));
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

// Writes JSON lines to a stdio stream (stderr by default), one fwrite per line under a
// mutex so lines from concurrent requests never interleave.
class JsonLinesLog final : public LogSink {
 public:
  explicit JsonLinesLog(std::FILE* out = stderr, LogLevel threshold = LogLevel::Info)
      : out_(out), threshold_(threshold) {}

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
    put(text);
  }

  void write_fields(LogLevel level, const JsonFields& fields) override {
    if (!enabled(level)) return;
    std::string text;
    text.reserve(48 + fields.text().size());
    text.append("{\"time\":\"").append(now_rfc3339()).append("\",\"level\":\"").append(log_level_name(level));
    text.append("\",").append(fields.text()).append("}\n");
    put(text);
  }

 private:
  // Lines are appended to a buffer under the mutex; whichever thread finds no write in
  // progress becomes the writer and writes everything pending, outside the mutex, until
  // nothing is left. Holding the mutex across write(2) made every server thread queue
  // behind the slowest write (futex sleeps and wake-ups on each request); now a line
  // waits at most for the write in progress, and lines that arrive meanwhile go out in
  // one write. Order is the order of append; nothing is left behind, since the writer
  // only stops after seeing the buffer empty under the mutex.
  void put(const std::string& text) {
    {
      std::lock_guard lock(mu_);
      pending_.append(text);
      if (writing_) return;
      writing_ = true;
    }
    for (;;) {
      {
        std::lock_guard lock(mu_);
        batch_.clear();
        if (pending_.empty()) {
          writing_ = false;
          return;
        }
        batch_.swap(pending_);
      }
      std::fwrite(batch_.data(), 1, batch_.size(), out_);
      std::fflush(out_);
    }
  }

  static std::string now_rfc3339() {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[80];  // room for any int fields, so -Wformat-truncation stays quiet
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
  }

  std::FILE* out_;
  LogLevel threshold_;
  std::mutex mu_;
  std::string pending_;   // guarded by mu_
  bool writing_ = false;  // guarded by mu_: some thread is in the write loop of put()
  std::string batch_;     // only touched by the thread that set writing_
};

}  // namespace isola::host
