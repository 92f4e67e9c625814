// Decode + validate over the official WebAssembly 2.0 test suite (JSON form, from
// ../shared beside the checkout; the test is skipped when it is absent, and the
// ISOLA_SPEC_JSON environment variable can point elsewhere).
//
// Every binary "module" must load; every "assert_invalid" must fail validation with the
// expected message as a prefix; every binary "assert_malformed" must fail somewhere. The
// simd_* files must never crash, and whatever they fail with must be the SIMD message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "wasm/binary/decode.hpp"
#include "wasm/valid/validate.hpp"

namespace isola::wasm {
namespace {

namespace fs = std::filesystem;

fs::path spec_dir() {
  if (const char* env = std::getenv("ISOLA_SPEC_JSON")) return env;
  return fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "shared" / "spec" / "wasm-2.0" /
         "json";
}

std::optional<LoadError> load(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  Module m;
  if (auto e = decode(bytes, m)) return e;
  return validate(m);
}

TEST(ValidateSpec, Suite) {
  const fs::path dir = spec_dir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "spec suite not found at " << dir;

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  int modules = 0, invalid = 0, malformed = 0, simd = 0;
  for (const fs::path& json_file : files) {
    const bool is_simd = json_file.filename().string().rfind("simd_", 0) == 0;
    std::ifstream in(json_file);
    const nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& cmd : j.at("commands")) {
      const std::string type = cmd.at("type");
      const bool loads = type == "module" || type == "assert_unlinkable" ||
                         type == "assert_uninstantiable" || type == "assert_trap" ||
                         type == "assert_exhaustion";
      if (!loads && type != "assert_invalid" && type != "assert_malformed") continue;
      if (!cmd.contains("filename")) continue;  // e.g. assert_trap on an invoke
      if (cmd.value("module_type", "binary") != "binary") continue;
      const std::string where = json_file.filename().string() + ":" +
                                std::to_string(cmd.at("line").get<int>());
      const auto err = load(dir / cmd.at("filename").get<std::string>());

      if (is_simd) {
        ++simd;
        if (err && err->what.find("SIMD is not supported") == std::string::npos &&
            type != "assert_malformed" && type != "assert_invalid") {
          ADD_FAILURE() << where << ": failed without the SIMD message: " << err->what;
        }
        continue;
      }
      if (loads) {
        ++modules;
        EXPECT_FALSE(err) << where << ": " << err->to_string();
      } else if (type == "assert_invalid") {
        ++invalid;
        const std::string text = cmd.at("text");
        if (!err) {
          ADD_FAILURE() << where << ": accepted, expected invalid: " << text;
        } else {
          EXPECT_EQ(err->kind, LoadError::Kind::Invalid) << where << ": " << err->what;
          EXPECT_EQ(err->what.compare(0, text.size(), text), 0)
              << where << ": \"" << err->what << "\", expected \"" << text << "\"";
        }
      } else {
        ++malformed;
        EXPECT_TRUE(err) << where << ": accepted, expected malformed: "
                         << cmd.at("text").get<std::string>();
      }
    }
  }
  std::cout << "[spec] " << modules << " modules, " << invalid << " assert_invalid, "
            << malformed << " assert_malformed (binary), " << simd << " simd\n";
}

}  // namespace
}  // namespace isola::wasm
