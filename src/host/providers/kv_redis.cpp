#include "host/providers/kv_redis.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <mutex>

namespace isola::host::providers {
namespace {

constexpr size_t kMaxConnections = 16;
constexpr timeval kConnectTimeout{2, 0};
constexpr timeval kCommandTimeout{5, 0};

struct RedisUrl {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string password;
};

isola::Expected<RedisUrl> parse_url(std::string_view url) {
  auto bad = [&](std::string why) {
    return isola::Error{"keyvalue: link value URL \"" + std::string(url) + "\": " + why +
                        " (expected redis://host:port[/db])"};
  };
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return bad("not a redis:// URL");
  std::string_view rest = url.substr(scheme.size());
  RedisUrl u;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    auto colon = userinfo.find(':');
    u.password = std::string(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  std::string_view hostport = rest.substr(0, rest.find('/'));
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), u.db);
      if (ec != std::errc() || p != db.data() + db.size() || u.db < 0) return bad("bad database number");
    }
  }
  std::string_view host = hostport, port;
  if (!hostport.empty() && hostport.front() == '[') {  // [::1]:6379
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return bad("unterminated [");
    host = hostport.substr(1, close - 1);
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return bad("junk after ]");
      port = hostport.substr(close + 2);
    }
  } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (host.empty()) return bad("no host");
  u.host = std::string(host);
  if (!port.empty()) {
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), u.port);
    if (ec != std::errc() || p != port.data() + port.size() || u.port < 1 || u.port > 65535) return bad("bad port");
  }
  return u;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

class RedisKv final : public KvBackend {
 public:
  RedisKv(RedisUrl url, std::string display) : url_(std::move(url)), display_(std::move(display)) {}

  isola::Expected<std::optional<std::string>> get(std::string_view key) override {
    auto r = command("Get", {"GET", key}, true);
    if (!r.ok()) return r.error();
    if ((*r)->type == REDIS_REPLY_NIL) return std::optional<std::string>();
    if ((*r)->type != REDIS_REPLY_STRING) return unexpected("Get", **r);
    return std::optional<std::string>(std::string((*r)->str, (*r)->len));
  }

  isola::Expected<Done> set(std::string_view key, std::string_view value, uint32_t expires_s) override {
    std::string ex = std::to_string(expires_s);
    auto r = expires_s ? command("Set", {"SET", key, value, "EX", ex}, true) : command("Set", {"SET", key, value}, true);
    if (!r.ok()) return r.error();
    return Done{};
  }

  isola::Expected<int64_t> add(std::string_view key, int64_t delta) override {
    // Not retried on a fresh connection: the first attempt may have been applied.
    return integer("Add", {"INCRBY", key, std::to_string(delta)}, false);
  }

  isola::Expected<bool> del(std::string_view key) override {
    auto n = integer("Del", {"DEL", key}, true);
    if (!n.ok()) return n.error();
    return *n > 0;
  }

  isola::Expected<bool> exists(std::string_view key) override {
    auto n = integer("KeyExists", {"EXISTS", key}, true);
    if (!n.ok()) return n.error();
    return *n > 0;
  }

  isola::Expected<int64_t> list_push(std::string_view key, std::string_view value, bool front) override {
    return integer("Push", {front ? "LPUSH" : "RPUSH", key, value}, false);
  }

  isola::Expected<std::vector<std::string>> list_range(std::string_view key, int64_t start, int64_t stop) override {
    return strings("Range", {"LRANGE", key, std::to_string(start), std::to_string(stop)});
  }

  isola::Expected<int64_t> list_remove(std::string_view key, std::string_view value) override {
    return integer("ListItemDelete", {"LREM", key, "0", value}, true);
  }

  isola::Expected<int64_t> set_add(std::string_view key, std::string_view member) override {
    return integer("SetAdd", {"SADD", key, member}, true);
  }

  isola::Expected<int64_t> set_remove(std::string_view key, std::string_view member) override {
    return integer("SetRemove", {"SREM", key, member}, true);
  }

  isola::Expected<std::vector<std::string>> set_members(std::string_view key) override {
    return sorted(strings("SetQuery", {"SMEMBERS", key}));
  }

  isola::Expected<std::vector<std::string>> set_union(const std::vector<std::string>& keys) override {
    if (keys.empty()) return std::vector<std::string>();
    std::vector<std::string_view> args{"SUNION"};
    args.insert(args.end(), keys.begin(), keys.end());
    return sorted(strings("SetUnion", args));
  }

  isola::Expected<std::vector<std::string>> set_intersection(const std::vector<std::string>& keys) override {
    if (keys.empty()) return std::vector<std::string>();
    std::vector<std::string_view> args{"SINTER"};
    args.insert(args.end(), keys.begin(), keys.end());
    return sorted(strings("SetIntersection", args));
  }

 private:
  std::string where() const { return "keyvalue (redis " + display_ + "): "; }

  isola::Error unexpected(std::string_view op, const redisReply& r) const {
    if (r.type == REDIS_REPLY_ERROR) return isola::Error{where() + std::string(op) + ": " + std::string(r.str, r.len)};
    return isola::Error{where() + std::string(op) + ": unexpected reply type " + std::to_string(r.type)};
  }

  static isola::Expected<std::vector<std::string>> sorted(isola::Expected<std::vector<std::string>> v) {
    // Redis returns set members in no particular order; sorted output is stable for guests.
    if (v.ok()) std::sort(v->begin(), v->end());
    return v;
  }

  isola::Expected<int64_t> integer(std::string_view op, std::initializer_list<std::string_view> args, bool retry) {
    auto r = command(op, std::vector<std::string_view>(args), retry);
    if (!r.ok()) return r.error();
    if ((*r)->type != REDIS_REPLY_INTEGER) return unexpected(op, **r);
    return static_cast<int64_t>((*r)->integer);
  }

  isola::Expected<std::vector<std::string>> strings(std::string_view op, const std::vector<std::string_view>& args) {
    auto r = command(op, args, true);
    if (!r.ok()) return r.error();
    if ((*r)->type != REDIS_REPLY_ARRAY) return unexpected(op, **r);
    std::vector<std::string> out;
    out.reserve((*r)->elements);
    for (size_t i = 0; i < (*r)->elements; ++i) {
      const redisReply* e = (*r)->element[i];
      if (e->type != REDIS_REPLY_STRING) return unexpected(op, *e);
      out.emplace_back(e->str, e->len);
    }
    return out;
  }

  // Sends one command. A connection that fails is discarded; when `retry` is set (the
  // command is idempotent) the command is sent once more on a fresh connection, which
  // covers pooled connections that went stale when the server restarted.
  isola::Expected<Reply> command(std::string_view op, const std::vector<std::string_view>& args, bool retry) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (auto a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    std::string last_error;
    for (int attempt = 0; attempt < (retry ? 2 : 1); ++attempt) {
      auto c = acquire(attempt > 0);
      if (!c.ok()) return c.error();
      auto* raw = static_cast<redisReply*>(
          redisCommandArgv(c->get(), static_cast<int>(argv.size()), argv.data(), lens.data()));
      if (raw) {
        release(std::move(*c));
        Reply r(raw);
        if (r->type == REDIS_REPLY_ERROR) return unexpected(op, *r);
        return r;
      }
      last_error = (*c)->errstr[0] ? (*c)->errstr : "connection lost";
      drop();  // the context is freed when c goes out of scope
    }
    return isola::Error{where() + std::string(op) + ": " + last_error};
  }

  isola::Expected<Context> connect() {
    Context c(redisConnectWithTimeout(url_.host.c_str(), url_.port, kConnectTimeout));
    if (!c) return isola::Error{where() + "cannot connect: out of memory"};
    if (c->err) return isola::Error{where() + "cannot connect: " + c->errstr};
    redisSetTimeout(c.get(), kCommandTimeout);
    auto setup = [&](std::vector<std::string_view> args) -> isola::Expected<Done> {
      std::vector<const char*> argv;
      std::vector<size_t> lens;
      for (auto a : args) argv.push_back(a.data()), lens.push_back(a.size());
      Reply r(static_cast<redisReply*>(redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data())));
      if (!r) return isola::Error{where() + std::string(args[0]) + ": " + c->errstr};
      if (r->type == REDIS_REPLY_ERROR) return unexpected(args[0], *r);
      return Done{};
    };
    if (!url_.password.empty()) {
      auto r = setup({"AUTH", url_.password});
      if (!r.ok()) return r.error();
    }
    if (url_.db != 0) {
      std::string db = std::to_string(url_.db);
      auto r = setup({"SELECT", db});
      if (!r.ok()) return r.error();
    }
    return c;
  }

  isola::Expected<Context> acquire(bool fresh) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxConnections; });
    if (!idle_.empty() && !fresh) {
      Context c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    if (fresh && !idle_.empty()) {
      // Pooled connections may all be stale: replace one instead of adding.
      idle_.pop_back();
      --open_;
    }
    ++open_;
    lock.unlock();
    auto c = connect();
    if (!c.ok()) drop();
    return c;
  }

  void release(Context c) {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(c));
    cv_.notify_one();
  }

  // A connection in use was lost: it no longer counts against the limit.
  void drop() {
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_one();
  }

  RedisUrl url_;
  std::string display_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Context> idle_;
  size_t open_ = 0;
};

}  // namespace

isola::Expected<std::shared_ptr<KvBackend>> open_redis_kv(std::string_view url) {
  auto u = parse_url(url);
  if (!u.ok()) return u.error();
  // Never echo a password into logs and errors.
  std::string display = u->host + ":" + std::to_string(u->port) + "/" + std::to_string(u->db);
  // No connection yet: the server may start after the host, and every call (re)connects
  // as needed, as waSCC's Redis provider did.
  return std::shared_ptr<KvBackend>(std::make_shared<RedisKv>(std::move(*u), std::move(display)));
}

}  // namespace isola::host::providers
