// The libFuzzer entry point of one host harness (fuzz/host_harness.hpp), chosen at compile
// time: fuzz/CMakeLists.txt builds this file once per target with
// -DISOLA_FUZZ_HOST_ENTRY=isola::fuzz::fuzz_<target>.
//
// Whatever leaves the harness as an exception (a broken invariant, or an exception from the
// code under test, which promises errors as values) is printed and becomes a crash, so that
// libFuzzer keeps the input.
#include <cstdio>
#include <exception>

#include "host_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    return ISOLA_FUZZ_HOST_ENTRY(data, size);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "==fuzz== %s\n", e.what());
    __builtin_trap();
  }
}
