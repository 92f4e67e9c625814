#include "host/providers/logging.hpp"

#include <cctype>

#include "host/codec/mp.hpp"
#include "host/providers/payload.hpp"

namespace isola::host::providers {
namespace {

// waSCC sends Rust's log::Level numbers (§2.3): 0 = off, 1 = error ... 5 = trace.
std::optional<LogLevel> numeric_level(uint64_t n) {
  switch (n) {
    case 1: return LogLevel::Error;
    case 2: return LogLevel::Warn;
    case 3: return LogLevel::Info;
    case 4: return LogLevel::Debug;
    case 5: return LogLevel::Trace;
    default: return std::nullopt;  // 0 (off) and unknown numbers are not logged
  }
}

// wasmCloud sends names; like the OTP host, anything unknown is debug.
LogLevel named_level(std::string_view s) {
  std::string l(s);
  for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "error") return LogLevel::Error;
  if (l == "warn" || l == "warning") return LogLevel::Warn;
  if (l == "info") return LogLevel::Info;
  if (l == "trace") return LogLevel::Trace;
  return LogLevel::Debug;
}

class LoggingProvider final : public Provider {
 public:
  explicit LoggingProvider(LogSink* sink) : sink_(sink) {}

  CapabilityResult call(const Caller& caller, std::string_view op, std::span<const uint8_t> payload) override {
    if (op != "WriteLog" && op != "Logging.WriteLog")
      return CapabilityResult::failure("logging: unknown operation \"" + std::string(op) + "\"");
    mp::Value v;
    std::string err;
    if (!decode_struct(payload, op, v, err)) return CapabilityResult::failure(err);
    StructReader r(v, "WriteLog request");
    // Accept all three shapes: {level: u32, body} (waSCC), {target, level: str, text}
    // (WIDL) and {level: str, text} (wasmbus). In array form the fields are positional.
    const mp::Value* level = r.optional("level", v.is_array() && v.size() == 3 ? 1 : 0);
    std::optional<LogLevel> lvl;
    if (!level) {
      r.fail("missing field `level` in WriteLog request");
    } else if (auto n = level->as_u64()) {
      lvl = numeric_level(*n);
    } else if (auto s = level->as_str()) {
      lvl = named_level(*s);
    } else {
      r.fail("field `level` of WriteLog request: expected a number or a string, got " +
             std::string(level->kind_name()));
    }
    std::string text, target;
    if (v.is_map()) {
      text = r.str(v.find("body") ? "body" : "text", 0);
      if (const mp::Value* t = v.find("target"); t && t->as_str()) target = std::string(*t->as_str());
    } else if (v.size() == 3) {
      target = r.str("target", 0);
      text = r.str("text", 2);
    } else {
      text = r.str("text", 1);
    }
    if (!r.ok()) return CapabilityResult::failure(r.error());
    if (lvl && sink_ && sink_->enabled(*lvl)) {
      nlohmann::json rec;
      rec["component"] = caller.component;
      rec["target"] = target.empty() ? std::string(caller.component) : target;
      rec["msg"] = text;
      sink_->write(*lvl, rec);
    }
    return CapabilityResult::success({});
  }

 private:
  LogSink* sink_;
};

}  // namespace

std::shared_ptr<Provider> make_logging_provider(LogSink* sink) { return std::make_shared<LoggingProvider>(sink); }

}  // namespace isola::host::providers
