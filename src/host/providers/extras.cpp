#include "host/providers/extras.hpp"

#include <sodium.h>

#include <map>
#include <mutex>

#include "host/codec/mp.hpp"
#include "host/providers/payload.hpp"

namespace isola::host::providers {
namespace {

// Per-component counters, process-wide so that every link of a component sees one sequence.
class Sequences {
 public:
  uint64_t next(std::string_view component) {
    std::lock_guard lock(mu_);
    auto it = next_.find(component);
    if (it == next_.end()) it = next_.emplace(std::string(component), 0).first;
    return it->second++;
  }

 private:
  std::mutex mu_;
  std::map<std::string, uint64_t, std::less<>> next_;
};

Sequences& sequences() {
  static Sequences s;
  return s;
}

// Uniform in [lo, hi] (inclusive), without modulo bias.
uint32_t uniform_inclusive(uint32_t lo, uint32_t hi) {
  uint64_t span = uint64_t{hi} - lo + 1;
  if (span > UINT32_MAX) return randombytes_random();
  return lo + randombytes_uniform(static_cast<uint32_t>(span));
}

class ExtrasProvider final : public Provider {
 public:
  explicit ExtrasProvider(ExtrasFlavour flavour) : flavour_(flavour) {}

  CapabilityResult call(const Caller& caller, std::string_view op, std::span<const uint8_t> payload) override {
    if (flavour_ == ExtrasFlavour::NumberGen) return numbergen(op, payload);
    if (op != "RequestGuid" && op != "RequestRandom" && op != "RequestSequence")
      return CapabilityResult::failure("extras: unknown operation \"" + std::string(op) + "\"");
    return flavour_ == ExtrasFlavour::Wascc ? wascc(caller, op, payload) : widl(caller, op, payload);
  }

 private:
  // waSCC: every op takes a GeneratorRequest and answers a full GeneratorResult.
  CapabilityResult wascc(const Caller& caller, std::string_view op, std::span<const uint8_t> payload) {
    mp::Value v;
    std::string err;
    if (!decode_struct(payload, op, v, err)) return CapabilityResult::failure(err);
    StructReader r(v, "GeneratorRequest");
    uint32_t min = 0, max = 0;
    if (op == "RequestRandom") {
      min = r.u32("min", 3);
      max = r.u32("max", 4);
      if (r.ok() && min >= max)
        r.fail("RequestRandom: min (" + std::to_string(min) + ") must be less than max (" + std::to_string(max) + ")");
    }
    if (!r.ok()) return CapabilityResult::failure(r.error());
    mp::Writer w;
    w.map(3).str("guid");
    if (op == "RequestGuid")
      w.str(uuid_v4());
    else
      w.nil();
    w.str("sequenceNumber").uint(op == "RequestSequence" ? sequences().next(caller.component) : 0);
    w.str("randomNumber").uint(op == "RequestRandom" ? uniform_inclusive(min, max - 1) : 0);
    return CapabilityResult::success(w.take());
  }

  // WIDL wasmcloud:extras: empty payloads for guid and sequence, bare results.
  CapabilityResult widl(const Caller& caller, std::string_view op, std::span<const uint8_t> payload) {
    mp::Writer w;
    if (op == "RequestGuid") {
      w.str(uuid_v4());
    } else if (op == "RequestSequence") {
      w.uint(sequences().next(caller.component));
    } else {
      auto range = read_range(op, payload);
      if (!range.ok()) return CapabilityResult::failure(range.error().message);
      auto [min, max] = *range;
      if (min >= max)
        return CapabilityResult::failure("RequestRandom: min (" + std::to_string(min) + ") must be less than max (" +
                                         std::to_string(max) + ")");
      w.uint(uniform_inclusive(min, max - 1));  // [min, max) as in waSCC
    }
    return CapabilityResult::success(w.take());
  }

  CapabilityResult numbergen(std::string_view op, std::span<const uint8_t> payload) {
    mp::Writer w;
    if (op == "NumberGen.GenerateGuid") {
      w.str(uuid_v4());
    } else if (op == "NumberGen.Random32") {
      w.uint(randombytes_random());
    } else if (op == "NumberGen.RandomInRange") {
      auto range = read_range(op, payload);
      if (!range.ok()) return CapabilityResult::failure(range.error().message);
      auto [min, max] = *range;
      if (min > max)
        return CapabilityResult::failure("NumberGen.RandomInRange: min (" + std::to_string(min) +
                                         ") is greater than max (" + std::to_string(max) + ")");
      w.uint(uniform_inclusive(min, max));
    } else {
      return CapabilityResult::failure("numbergen: unknown operation \"" + std::string(op) + "\"");
    }
    return CapabilityResult::success(w.take());
  }

  static isola::Expected<std::pair<uint32_t, uint32_t>> read_range(std::string_view op,
                                                                   std::span<const uint8_t> payload) {
    mp::Value v;
    std::string err;
    if (!decode_struct(payload, op, v, err)) return isola::Error{err};
    StructReader r(v, "RangeLimit");
    uint32_t min = r.u32("min", 0);
    uint32_t max = r.u32("max", 1);
    if (!r.ok()) return isola::Error{r.error()};
    return std::pair{min, max};
  }

  ExtrasFlavour flavour_;
};

}  // namespace

std::string uuid_v4() {
  uint8_t b[16];
  randombytes_buf(b, sizeof b);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static const char* hex = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(hex[b[i] >> 4]);
    s.push_back(hex[b[i] & 15]);
  }
  return s;
}

std::shared_ptr<Provider> make_extras_provider(ExtrasFlavour flavour) {
  if (sodium_init() < 0) return nullptr;  // no usable randomness source: refuse to run
  return std::make_shared<ExtrasProvider>(flavour);
}

}  // namespace isola::host::providers
