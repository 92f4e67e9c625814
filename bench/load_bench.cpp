// Load throughput: decode + validate speed over the whole module, and lowering speed
// over function-body bytes, as medians of repeated runs.
//
//   load_bench MODULE.wasm [RUNS]
//
// Uses only the public API: Module::load (decode + validate, nothing lowered) and
// Module::lower_all (every function lowered, as if each had been called). Times are the
// thread's CPU time, so other load on the machine does not inflate them.
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "isola/engine.hpp"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// CPU time of this thread: the work done, unaffected by other processes taking the core.
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: load_bench MODULE.wasm [RUNS]\n");
    return 2;
  }
  int runs = argc > 2 ? std::atoi(argv[2]) : 15;
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) {
    std::fprintf(stderr, "load_bench: cannot read %s\n", argv[1]);
    return 2;
  }
  isola::Engine engine;
  std::vector<double> load_s, lower_s;
  uint64_t body_bytes = 0;
  for (int i = 0; i < runs; ++i) {
    double t0 = cpu_now();
    auto m = isola::Module::load(engine, bytes);
    load_s.push_back(cpu_now() - t0);
    if (!m) {
      std::fprintf(stderr, "load_bench: %s\n", m.error().message.c_str());
      return 1;
    }
    t0 = cpu_now();
    body_bytes = m->lower_all();
    lower_s.push_back(cpu_now() - t0);
  }
  double mb = bytes.size() / 1e6, body_mb = body_bytes / 1e6;
  double lt = median(load_s), wt = median(lower_s);
  std::printf("module: %s (%zu bytes, %llu bytes of function bodies)\n", argv[1], bytes.size(),
              static_cast<unsigned long long>(body_bytes));
  std::printf("decode+validate: median %.2f ms over %d runs = %.0f MB/s\n", lt * 1e3, runs, mb / lt);
  std::printf("lowering:        median %.2f ms over %d runs = %.0f MB/s of function bodies\n", wt * 1e3, runs,
              body_mb / wt);
  return 0;
}
