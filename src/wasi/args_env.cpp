// args_get, args_sizes_get, environ_get, environ_sizes_get: each string is copied
// NUL-terminated into the guest's buffer, with a pointer to it in the guest's array.
#include "wasi/call.hpp"

namespace isola::wasi::detail {
namespace {

Errno put_strings(Call& c, const std::vector<std::string>& v, uint32_t array, uint32_t buf) {
  uint64_t size = 0;
  for (const std::string& s : v) size += s.size() + 1;
  uint8_t* out = c.mem.at(buf, size);
  c.mem.at(array, uint64_t{v.size()} * 4);
  uint32_t p = buf;
  for (size_t i = 0; i < v.size(); ++i) {
    c.mem.put_u32(array + i * 4, p);
    std::memcpy(out, v[i].c_str(), v[i].size() + 1);
    out += v[i].size() + 1;
    p += static_cast<uint32_t>(v[i].size() + 1);
  }
  return Errno::success;
}

Errno put_sizes(Call& c, const std::vector<std::string>& v, uint32_t count_ptr, uint32_t size_ptr) {
  uint64_t size = 0;
  for (const std::string& s : v) size += s.size() + 1;
  if (size > UINT32_MAX) return Errno::overflow;
  c.mem.put_u32(count_ptr, static_cast<uint32_t>(v.size()));
  c.mem.put_u32(size_ptr, static_cast<uint32_t>(size));
  return Errno::success;
}

}  // namespace

Errno args_get(Call& c) { return put_strings(c, c.ctx.args, c.u32(0), c.u32(1)); }
Errno args_sizes_get(Call& c) { return put_sizes(c, c.ctx.args, c.u32(0), c.u32(1)); }
Errno environ_get(Call& c) { return put_strings(c, c.ctx.env, c.u32(0), c.u32(1)); }
Errno environ_sizes_get(Call& c) { return put_sizes(c, c.ctx.env, c.u32(0), c.u32(1)); }

}  // namespace isola::wasi::detail
