// The host-layer fuzz harnesses (fuzz/host_*.cpp): what guests, module files and manifests
// hand the host, run through the host's own parsers with invariants checked.
//
// Each harness is a plain function, so that the same code runs as a libFuzzer target
// (fuzz/host_entry.cpp, clang builds with -DISOLA_FUZZ=ON), in the seed generator
// (fuzz/host_seeds.cpp) and in the plain-build regression replay (fuzz/replay/, every build).
// A broken invariant throws InvariantFailure; the libFuzzer entry turns any exception that
// leaves a harness into a crash, the replay into a FAIL line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace isola::fuzz {

struct InvariantFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void check_failed(const char* what, const char* file, int line) {
  throw InvariantFailure(std::string("invariant failed: ") + what + " (" + file + ":" + std::to_string(line) + ")");
}

// msgpack from guests, the waPC HTTP payloads, the providers' request decoders, WAGI CGI
// output, UTF-8 repair. The first byte picks the operation (guest_payloads_selector).
int fuzz_guest_payloads(const uint8_t* data, size_t size);
// Claims: tokens, nkeys, base64url/base32, revocation lists, custom-section editing of
// module bytes, claims JSON. The first byte picks the operation (claims_selector).
int fuzz_claims(const uint8_t* data, size_t size);
// isola.toml and waSCC YAML text (both parsers see every input), ${VAR} substitution and
// the single-value checks, under a fixed small environment and a temporary app directory.
int fuzz_manifest(const uint8_t* data, size_t size);

// The selector byte of a named operation ("mp.decode", "kv:Get", "token", ...), for the
// seed generator; throws std::out_of_range for an unknown name.
uint8_t guest_payloads_selector(std::string_view name);
uint8_t claims_selector(std::string_view name);
// Every operation name, in selector order.
std::vector<std::string> guest_payloads_operations();
std::vector<std::string> claims_operations();

// ISOLA_FUZZ_VERBOSE=1 in the environment: the harnesses say on stderr what the main
// parsers made of the input (for looking at one input, not for fuzzing).
inline bool verbose() {
  static const bool v = std::getenv("ISOLA_FUZZ_VERBOSE") != nullptr;
  return v;
}

// The module the claims harness signs and verifies tokens against, and the clock it uses
// (so that seeds signed by the generator verify in the harness).
std::vector<uint8_t> claims_fixed_module();
inline constexpr int64_t kClaimsNow = 1'800'000'000;  // 2027-01-15T08:00:00Z

}  // namespace isola::fuzz

#define ISOLA_FUZZ_CHECK(cond)                                                       \
  do {                                                                               \
    if (!(cond)) ::isola::fuzz::check_failed(#cond, __FILE__, __LINE__);            \
  } while (0)
