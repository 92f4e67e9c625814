// The host's structured log: one JSON object per line. The ingress writes its access log
// here, the logging provider writes guests' log records here, and the host writes its own
// events (denied capability calls, traps, start and stop). A LogSink is shared by every
// request thread, so write() must be thread-safe.
#pragma once

#include <chrono>
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

class LogSink {
 public:
  virtual ~LogSink() = default;
  // Writes `record` if `level` passes the sink's threshold. The sink adds "time" (RFC 3339,
  // UTC, milliseconds) and "level" in front of the record's own fields.
  virtual void write(LogLevel level, const nlohmann::json& record) = 0;
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
    std::lock_guard lock(mu_);
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
  }

 private:
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
};

}  // namespace isola::host
