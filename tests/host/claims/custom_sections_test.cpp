// The engine's custom-section surgery (include/isola/engine.hpp), as the signer uses it.
#include <gtest/gtest.h>

#include <string>

#include "isola/engine.hpp"
#include "test_util.hpp"

namespace isola {
namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

const uint8_t kEmpty[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

TEST(CustomSections, AppendListRemove) {
  auto module = host::claims::test::actor_module();
  ASSERT_GT(module.size(), 8u);
  auto before = list_custom_sections(module);
  ASSERT_TRUE(before) << before.error().message;

  auto one = append_custom_section(module, "first", bytes_of("payload-1"));
  ASSERT_TRUE(one) << one.error().message;
  auto two = append_custom_section(*one, "second", bytes_of("payload-2"));
  ASSERT_TRUE(two) << two.error().message;
  auto three = append_custom_section(*two, "first", bytes_of("again"));
  ASSERT_TRUE(three) << three.error().message;
  // The original bytes are an untouched prefix.
  EXPECT_TRUE(std::equal(module.begin(), module.end(), three->begin()));

  auto listed = list_custom_sections(*three);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), before->size() + 3);
  const auto& s = (*listed)[before->size() + 1];
  EXPECT_EQ(s.name, "second");
  EXPECT_EQ(std::string(three->begin() + static_cast<ptrdiff_t>(s.payload_begin),
                        three->begin() + static_cast<ptrdiff_t>(s.end)),
            "payload-2");
  EXPECT_EQ(s.begin, one->size());
  EXPECT_EQ(s.end, two->size());

  auto removed = remove_custom_sections(*three, "first");
  ASSERT_TRUE(removed) << removed.error().message;
  auto left = list_custom_sections(*removed);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), before->size() + 1);
  EXPECT_EQ(left->back().name, "second");
  // Removing what was appended last gives back exactly the input.
  auto back = remove_custom_sections(*removed, "second");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, module);
}

TEST(CustomSections, LongPayloadsUseMultiByteSizes) {
  std::string big(300, 'x');
  auto m = append_custom_section(std::span<const uint8_t>(kEmpty), "big", bytes_of(big));
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)[8], 0);
  EXPECT_EQ((*m)[9], 0xb0);  // 304 = 0x130: b0 02
  EXPECT_EQ((*m)[10], 0x02);
  auto l = list_custom_sections(*m);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ(l->front().payload_begin, 15u);
}

std::string error_of(std::vector<uint8_t> bytes) {
  auto l = list_custom_sections(bytes);
  return l ? std::string() : l.error().message;
}

TEST(CustomSections, FramingErrorsNameTheByte) {
  std::vector<uint8_t> m(kEmpty, kEmpty + 8);
  EXPECT_EQ(error_of({0x00, 0x61, 0x73}), "malformed: unexpected end: shorter than the 8-byte header at byte 0x3");
  EXPECT_EQ(error_of({0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0}), "malformed: magic header not detected at byte 0x0");
  EXPECT_EQ(error_of({0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0}), "malformed: unknown binary version at byte 0x4");

  auto with = [&](std::initializer_list<uint8_t> tail) {
    auto v = m;
    v.insert(v.end(), tail);
    return v;
  };
  EXPECT_EQ(error_of(with({0x01, 0x05, 0x00})), "malformed: section size out of bounds at byte 0x9");
  EXPECT_EQ(error_of(with({0x01, 0x80})), "malformed: unexpected end in a LEB128 integer (section size) at byte 0x9");
  EXPECT_EQ(error_of(with({0x01, 0x80, 0x80, 0x80, 0x80, 0x10})),
            "malformed: integer too large or LEB128 too long (section size) at byte 0x9");
  EXPECT_EQ(error_of(with({0x0e, 0x00})), "malformed: unknown section id 14 at byte 0x8");
  EXPECT_EQ(error_of(with({0x00, 0x02, 0x05, 'a'})), "malformed: custom section name length out of bounds at byte 0xa");
  EXPECT_EQ(error_of(with({0x00, 0x02, 0x01, 0xff})), "malformed: custom section name is not valid UTF-8 at byte 0xb");
  // A padded (non-minimal) size is valid wasm.
  EXPECT_EQ(error_of(with({0x00, 0x84, 0x80, 0x80, 0x80, 0x00, 0x03, 'a', 'b', 'c'})), "");
}

TEST(CustomSections, NormalizeSectionSizes) {
  std::vector<uint8_t> padded(kEmpty, kEmpty + 8);
  padded.insert(padded.end(), {0x00, 0x84, 0x80, 0x80, 0x80, 0x00, 0x03, 'a', 'b', 'c'});
  auto n = normalize_section_sizes(padded);
  ASSERT_TRUE(n) << n.error().message;
  std::vector<uint8_t> want(kEmpty, kEmpty + 8);
  want.insert(want.end(), {0x00, 0x04, 0x03, 'a', 'b', 'c'});
  EXPECT_EQ(*n, want);
  auto same = normalize_section_sizes(want);
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, want);
}

TEST(CustomSections, RefusesBadInputWhenEditing) {
  std::vector<uint8_t> bad(kEmpty, kEmpty + 8);
  bad.push_back(0x01);
  EXPECT_FALSE(append_custom_section(bad, "x", {}));
  EXPECT_FALSE(remove_custom_sections(bad, "x"));
  EXPECT_FALSE(normalize_section_sizes(bad));
  const char bad_name[] = {'\xc3', '\x28'};
  EXPECT_FALSE(append_custom_section(std::span<const uint8_t>(kEmpty), std::string_view(bad_name, 2), {}));
}

}  // namespace
}  // namespace isola
