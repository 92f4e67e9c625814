#include "host/providers/keyvalue.hpp"

#include <algorithm>

#include "host/codec/mp.hpp"
#include "host/providers/payload.hpp"

namespace isola::host::providers {
namespace {

using Result = CapabilityResult;

Result fail(const isola::Error& e) { return Result::failure(e.message); }

Result reply(mp::Writer& w) { return Result::success(w.take()); }

Result get_response(std::string_view value, bool exists) {
  mp::Writer w;
  w.map(2).str("value").str(value).str("exists").boolean(exists);
  return reply(w);
}

Result values_response(const std::vector<std::string>& values) {
  mp::Writer w;
  w.map(1).str("values").array(static_cast<uint32_t>(values.size()));
  for (const auto& v : values) w.str(v);
  return reply(w);
}

Result count_response(std::string_view key, int64_t n) {
  mp::Writer w;
  w.map(1).str(key).sint(n);
  return reply(w);
}

Result bare_bool(bool b) {
  mp::Writer w;
  w.boolean(b);
  return reply(w);
}

Result bare_strings(const std::vector<std::string>& values) {
  mp::Writer w;
  w.array(static_cast<uint32_t>(values.size()));
  for (const auto& v : values) w.str(v);
  return reply(w);
}

// The i32 fields of the contracts cannot carry every 64-bit result.
bool fits_i32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

class KeyValueProvider final : public Provider {
 public:
  KeyValueProvider(KvFlavour flavour, std::shared_ptr<KvBackend> kv) : flavour_(flavour), kv_(std::move(kv)) {}

  Result call(const Caller&, std::string_view op, std::span<const uint8_t> payload) override {
    constexpr std::string_view prefix = "KeyValue.";
    if (op.substr(0, prefix.size()) == prefix) return wasmbus(op.substr(prefix.size()), op, payload);
    return classic(op, payload);
  }

 private:
  // waSCC and WIDL: every request is a struct, every reply a struct.
  Result classic(std::string_view op, std::span<const uint8_t> payload) {
    mp::Value v;
    std::string err;
    if (!decode_struct(payload, op, v, err)) return Result::failure(err);
    StructReader r(v, std::string(op) + " request");

    if (op == "Get") {
      auto key = r.str("key", 0);
      if (!r.ok()) return Result::failure(r.error());
      auto got = kv_->get(key);
      if (!got.ok()) return fail(got.error());
      return get_response(got->value_or(""), got->has_value());
    }
    if (op == "Set") {
      auto key = r.str("key", 0);
      auto value = r.str("value", 1);
      int64_t expires = 0;  // optional here, although Rust requires it: 0 = never
      if (const mp::Value* e = r.optional("expires", 2); e && !e->is_nil()) expires = r.i64("expires", 2);
      if (!r.ok()) return Result::failure(r.error());
      auto done = kv_->set(key, value, static_cast<uint32_t>(std::clamp<int64_t>(expires, 0, UINT32_MAX)));
      if (!done.ok()) return fail(done.error());
      mp::Writer w;
      w.map(1).str("value").str(value);
      return reply(w);
    }
    if (op == "Add") {
      auto key = r.str("key", 0);
      auto delta = r.i32("value", 1);
      if (!r.ok()) return Result::failure(r.error());
      auto n = kv_->add(key, delta);
      if (!n.ok()) return fail(n.error());
      if (!fits_i32(*n)) return Result::failure("Add: the new value " + std::to_string(*n) + " of \"" + key +
                                                "\" does not fit in a 32-bit integer");
      return count_response("value", *n);
    }
    if (op == "Del" || op == "Clear") {
      auto key = r.str("key", 0);
      if (!r.ok()) return Result::failure(r.error());
      auto d = kv_->del(key);
      if (!d.ok()) return fail(d.error());
      mp::Writer w;
      w.map(1).str("key").str(key);
      return reply(w);
    }
    if (op == "KeyExists") {
      auto key = r.str("key", 0);
      if (!r.ok()) return Result::failure(r.error());
      auto e = kv_->exists(key);
      if (!e.ok()) return fail(e.error());
      return get_response("", *e);
    }
    if (op == "Range") {
      auto key = r.str("key", 0);
      auto start = r.i32("start", 1);
      auto stop = r.i32("stop", 2);
      if (!r.ok()) return Result::failure(r.error());
      auto vals = kv_->list_range(key, start, stop);
      if (!vals.ok()) return fail(vals.error());
      return values_response(*vals);
    }
    if (op == "Push" || op == "ListItemDelete" || op == "SetAdd" || op == "SetRemove") {
      auto key = r.str("key", 0);
      auto value = r.str("value", 1);
      if (!r.ok()) return Result::failure(r.error());
      isola::Expected<int64_t> n = op == "Push"             ? kv_->list_push(key, value, /*front=*/true)
                                   : op == "ListItemDelete" ? kv_->list_remove(key, value)
                                   : op == "SetAdd"         ? kv_->set_add(key, value)
                                                            : kv_->set_remove(key, value);
      if (!n.ok()) return fail(n.error());
      bool set_op = op == "SetAdd" || op == "SetRemove";
      // WIDL renamed SetOperationResponse's field; ListResponse kept newCount.
      return count_response(set_op && flavour_ == KvFlavour::Widl ? "new_count" : "newCount", *n);
    }
    if (op == "SetQuery") {
      auto key = r.str("key", 0);
      if (!r.ok()) return Result::failure(r.error());
      auto vals = kv_->set_members(key);
      if (!vals.ok()) return fail(vals.error());
      return values_response(*vals);
    }
    if (op == "SetUnion" || op == "SetIntersection") {
      auto keys = r.str_list("keys", 0);
      if (!r.ok()) return Result::failure(r.error());
      auto vals = op == "SetUnion" ? kv_->set_union(keys) : kv_->set_intersection(keys);
      if (!vals.ok()) return fail(vals.error());
      return values_response(*vals);
    }
    return Result::failure("keyvalue: unknown operation \"" + std::string(op) + "\"");
  }

  // wasmbus (Smithy): primitive inputs and outputs travel bare.
  Result wasmbus(std::string_view method, std::string_view op, std::span<const uint8_t> payload) {
    mp::Value v;
    std::string err;
    if (!decode_payload(payload, op, v, err)) return Result::failure(err);

    auto bare_key = [&](std::string& key) { return read_str(v, std::string(op) + " payload", key, err); };

    if (method == "Get") {
      std::string key;
      if (!bare_key(key)) return Result::failure(err);
      auto got = kv_->get(key);
      if (!got.ok()) return fail(got.error());
      return get_response(got->value_or(""), got->has_value());
    }
    if (method == "Del" || method == "ListClear" || method == "SetClear") {
      std::string key;
      if (!bare_key(key)) return Result::failure(err);
      auto d = kv_->del(key);
      if (!d.ok()) return fail(d.error());
      return bare_bool(*d);
    }
    if (method == "Contains") {
      std::string key;
      if (!bare_key(key)) return Result::failure(err);
      auto e = kv_->exists(key);
      if (!e.ok()) return fail(e.error());
      return bare_bool(*e);
    }
    if (method == "SetQuery") {
      std::string key;
      if (!bare_key(key)) return Result::failure(err);
      auto vals = kv_->set_members(key);
      if (!vals.ok()) return fail(vals.error());
      return bare_strings(*vals);
    }
    if (method == "SetUnion" || method == "SetIntersection") {
      std::vector<std::string> keys;
      if (!read_str_list(v, std::string(op) + " payload", keys, err)) return Result::failure(err);
      auto vals = method == "SetUnion" ? kv_->set_union(keys) : kv_->set_intersection(keys);
      if (!vals.ok()) return fail(vals.error());
      return bare_strings(*vals);
    }

    StructReader r(v, std::string(op) + " request");
    if (method == "Set") {
      auto key = r.str("key", 0);
      auto value = r.str("value", 1);
      auto expires = r.u32("expires", 2);
      if (!r.ok()) return Result::failure(r.error());
      auto done = kv_->set(key, value, expires);
      if (!done.ok()) return fail(done.error());
      return Result::success({});
    }
    if (method == "Increment") {
      auto key = r.str("key", 0);
      auto delta = r.i32("value", 1);
      if (!r.ok()) return Result::failure(r.error());
      auto n = kv_->add(key, delta);
      if (!n.ok()) return fail(n.error());
      if (!fits_i32(*n)) return Result::failure(std::string(op) + ": the new value " + std::to_string(*n) + " of \"" +
                                                key + "\" does not fit in a 32-bit integer");
      mp::Writer w;
      w.sint(*n);
      return reply(w);
    }
    if (method == "ListAdd" || method == "ListDel") {
      auto key = r.str("listName", 0);
      auto value = r.str("value", 1);
      if (!r.ok()) return Result::failure(r.error());
      mp::Writer w;
      if (method == "ListAdd") {
        auto n = kv_->list_push(key, value, /*front=*/false);  // "append to the end"
        if (!n.ok()) return fail(n.error());
        w.uint(static_cast<uint64_t>(std::max<int64_t>(*n, 0)));
      } else {
        auto n = kv_->list_remove(key, value);
        if (!n.ok()) return fail(n.error());
        w.boolean(*n > 0);
      }
      return reply(w);
    }
    if (method == "ListRange") {
      auto key = r.str("listName", 0);
      auto start = r.i32("start", 1);
      auto stop = r.i32("stop", 2);
      if (!r.ok()) return Result::failure(r.error());
      auto vals = kv_->list_range(key, start, stop);
      if (!vals.ok()) return fail(vals.error());
      return bare_strings(*vals);
    }
    if (method == "SetAdd" || method == "SetDel") {
      auto key = r.str("setName", 0);
      auto value = r.str("value", 1);
      if (!r.ok()) return Result::failure(r.error());
      auto n = method == "SetAdd" ? kv_->set_add(key, value) : kv_->set_remove(key, value);
      if (!n.ok()) return fail(n.error());
      mp::Writer w;
      w.uint(static_cast<uint64_t>(std::max<int64_t>(*n, 0)));
      return reply(w);
    }
    return Result::failure("keyvalue: unknown operation \"" + std::string(op) + "\"");
  }

  KvFlavour flavour_;
  std::shared_ptr<KvBackend> kv_;
};

}  // namespace

std::shared_ptr<Provider> make_keyvalue_provider(KvFlavour flavour, std::shared_ptr<KvBackend> backend) {
  return std::make_shared<KeyValueProvider>(flavour, std::move(backend));
}

}  // namespace isola::host::providers
