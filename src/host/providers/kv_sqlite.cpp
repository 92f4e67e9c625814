#include "host/providers/kv_sqlite.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <ctime>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

namespace isola::host::providers {
namespace {

constexpr int kBusyTimeoutMs = 10'000;  // writers queue on SQLite's lock for at most this long
constexpr size_t kMaxConnections = 16;  // more threads than this wait for a connection
constexpr unsigned kPurgeEvery = 256;   // expired strings are deleted every this many sets

const char* kSchema =
    "CREATE TABLE IF NOT EXISTS kv_string(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER)"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS kv_list(key TEXT NOT NULL, pos INTEGER NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY(key, pos)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS kv_set(key TEXT NOT NULL, member TEXT NOT NULL, PRIMARY KEY(key, member))"
    " WITHOUT ROWID;";

int64_t now_s() { return static_cast<int64_t>(std::time(nullptr)); }

// One connection with its prepared statements; used by one thread at a time.
class Conn {
 public:
  explicit Conn(sqlite3* db) : db_(db) {}
  ~Conn() {
    for (auto& [sql, st] : stmts_) sqlite3_finalize(st);
    sqlite3_close(db_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  sqlite3* db() const { return db_; }

  // A cached statement for `sql` (a string literal: cached by address), reset and unbound.
  sqlite3_stmt* stmt(const char* sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) return nullptr;
    stmts_.emplace(sql, st);
    return st;
  }

  // Ends every statement, so none keeps an old WAL snapshot alive while the connection idles.
  void reset_all() {
    for (auto& [sql, st] : stmts_) sqlite3_reset(st);
  }

  unsigned sets_since_purge = 0;

 private:
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;
};

class SqliteKv final : public KvBackend {
 public:
  explicit SqliteKv(std::filesystem::path file) : file_(std::move(file)) {}

  isola::Expected<Done> init() {
    auto c = open_conn();
    if (!c.ok()) return c.error();
    char* err = nullptr;
    if (sqlite3_exec((*c)->db(), kSchema, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return isola::Error{where() + "creating tables: " + msg};
    }
    std::lock_guard lock(mu_);
    ++open_;
    idle_.push_back(std::move(*c));
    return Done{};
  }

  isola::Expected<std::optional<std::string>> get(std::string_view key) override {
    return with_conn<std::optional<std::string>>("Get", [&](Conn& c) -> isola::Expected<std::optional<std::string>> {
      return get_string(c, key);
    });
  }

  isola::Expected<Done> set(std::string_view key, std::string_view value, uint32_t expires_s) override {
    return write<Done>("Set", [&](Conn& c) -> isola::Expected<Done> {
      // SET replaces whatever the key held, as in Redis.
      if (!run(c, "DELETE FROM kv_list WHERE key = ?1", {key}) || !run(c, "DELETE FROM kv_set WHERE key = ?1", {key}))
        return fail(c, "Set");
      sqlite3_stmt* st = c.stmt("INSERT OR REPLACE INTO kv_string(key, value, expires) VALUES(?1, ?2, ?3)");
      if (!st) return fail(c, "Set");
      bind(st, 1, key);
      bind(st, 2, value);
      if (expires_s) sqlite3_bind_int64(st, 3, now_s() + expires_s);
      if (sqlite3_step(st) != SQLITE_DONE) return fail(c, "Set");
      if (++c.sets_since_purge >= kPurgeEvery) {
        c.sets_since_purge = 0;
        sqlite3_stmt* p = c.stmt("DELETE FROM kv_string WHERE expires IS NOT NULL AND expires <= ?1");
        if (!p) return fail(c, "Set");
        sqlite3_bind_int64(p, 1, now_s());
        if (sqlite3_step(p) != SQLITE_DONE) return fail(c, "Set");
      }
      return Done{};
    });
  }

  isola::Expected<int64_t> add(std::string_view key, int64_t delta) override {
    // Read, add and write inside one IMMEDIATE transaction: the write lock is held from the
    // start, so concurrent increments serialise and none is lost.
    return write<int64_t>("Add", [&](Conn& c) -> isola::Expected<int64_t> {
      sqlite3_stmt* st = c.stmt("SELECT value, expires FROM kv_string WHERE key = ?1");
      if (!st) return fail(c, "Add");
      bind(st, 1, key);
      int64_t current = 0;
      bool keep_expiry = false;
      int64_t expires = 0;
      int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW) {
        bool expired = sqlite3_column_type(st, 1) != SQLITE_NULL && sqlite3_column_int64(st, 1) <= now_s();
        if (!expired) {
          std::string_view text(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                                static_cast<size_t>(sqlite3_column_bytes(st, 0)));
          if (!parse_int(text, current))
            return isola::Error{where() + "Add: the value of key \"" + std::string(key) + "\" is not an integer"};
          keep_expiry = sqlite3_column_type(st, 1) != SQLITE_NULL;
          expires = sqlite3_column_int64(st, 1);
        }
      } else if (rc != SQLITE_DONE) {
        return fail(c, "Add");
      }
      int64_t next = 0;
      if (__builtin_add_overflow(current, delta, &next))
        return isola::Error{where() + "Add: increment or decrement would overflow"};
      std::string text = std::to_string(next);
      sqlite3_stmt* up = c.stmt("INSERT OR REPLACE INTO kv_string(key, value, expires) VALUES(?1, ?2, ?3)");
      if (!up) return fail(c, "Add");
      bind(up, 1, key);
      bind(up, 2, text);
      if (keep_expiry) sqlite3_bind_int64(up, 3, expires);
      if (sqlite3_step(up) != SQLITE_DONE) return fail(c, "Add");
      return next;
    });
  }

  isola::Expected<bool> del(std::string_view key) override {
    return write<bool>("Del", [&](Conn& c) -> isola::Expected<bool> {
      auto live = string_exists(c, key);
      if (!live.ok()) return live.error();
      bool existed = *live;
      if (!run(c, "DELETE FROM kv_string WHERE key = ?1", {key})) return fail(c, "Del");
      if (!run(c, "DELETE FROM kv_list WHERE key = ?1", {key})) return fail(c, "Del");
      existed |= sqlite3_changes(c.db()) > 0;
      if (!run(c, "DELETE FROM kv_set WHERE key = ?1", {key})) return fail(c, "Del");
      existed |= sqlite3_changes(c.db()) > 0;
      return existed;
    });
  }

  isola::Expected<bool> exists(std::string_view key) override {
    return read<bool>("KeyExists", [&](Conn& c) -> isola::Expected<bool> {
      auto s = string_exists(c, key);
      if (!s.ok() || *s) return s;
      auto l = count(c, "SELECT EXISTS(SELECT 1 FROM kv_list WHERE key = ?1)", key, "KeyExists");
      if (!l.ok()) return l.error();
      if (*l) return true;
      auto m = count(c, "SELECT EXISTS(SELECT 1 FROM kv_set WHERE key = ?1)", key, "KeyExists");
      if (!m.ok()) return m.error();
      return *m != 0;
    });
  }

  isola::Expected<int64_t> list_push(std::string_view key, std::string_view value, bool front) override {
    return write<int64_t>("Push", [&](Conn& c) -> isola::Expected<int64_t> {
      const char* sql = front ? "INSERT INTO kv_list(key, pos, value) SELECT ?1, COALESCE(MIN(pos), 0) - 1, ?2"
                                " FROM kv_list WHERE key = ?1"
                              : "INSERT INTO kv_list(key, pos, value) SELECT ?1, COALESCE(MAX(pos), 0) + 1, ?2"
                                " FROM kv_list WHERE key = ?1";
      if (!run(c, sql, {key, value})) return fail(c, "Push");
      return count(c, "SELECT COUNT(*) FROM kv_list WHERE key = ?1", key, "Push");
    });
  }

  isola::Expected<std::vector<std::string>> list_range(std::string_view key, int64_t start, int64_t stop) override {
    return read<std::vector<std::string>>("Range", [&](Conn& c) -> isola::Expected<std::vector<std::string>> {
      auto n = count(c, "SELECT COUNT(*) FROM kv_list WHERE key = ?1", key, "Range");
      if (!n.ok()) return n.error();
      // Redis' LRANGE index rules.
      if (start < 0) start = std::max<int64_t>(0, start + *n);
      if (stop < 0) stop += *n;
      if (stop >= *n) stop = *n - 1;
      std::vector<std::string> out;
      if (start > stop || start >= *n) return out;
      sqlite3_stmt* st = c.stmt("SELECT value FROM kv_list WHERE key = ?1 ORDER BY pos LIMIT ?2 OFFSET ?3");
      if (!st) return fail(c, "Range");
      bind(st, 1, key);
      sqlite3_bind_int64(st, 2, stop - start + 1);
      sqlite3_bind_int64(st, 3, start);
      return column_strings(c, st, "Range");
    });
  }

  isola::Expected<int64_t> list_remove(std::string_view key, std::string_view value) override {
    return write<int64_t>("ListItemDelete", [&](Conn& c) -> isola::Expected<int64_t> {
      if (!run(c, "DELETE FROM kv_list WHERE key = ?1 AND value = ?2", {key, value}))
        return fail(c, "ListItemDelete");
      return static_cast<int64_t>(sqlite3_changes(c.db()));
    });
  }

  isola::Expected<int64_t> set_add(std::string_view key, std::string_view member) override {
    return write<int64_t>("SetAdd", [&](Conn& c) -> isola::Expected<int64_t> {
      if (!run(c, "INSERT OR IGNORE INTO kv_set(key, member) VALUES(?1, ?2)", {key, member}))
        return fail(c, "SetAdd");
      return static_cast<int64_t>(sqlite3_changes(c.db()));
    });
  }

  isola::Expected<int64_t> set_remove(std::string_view key, std::string_view member) override {
    return write<int64_t>("SetRemove", [&](Conn& c) -> isola::Expected<int64_t> {
      if (!run(c, "DELETE FROM kv_set WHERE key = ?1 AND member = ?2", {key, member})) return fail(c, "SetRemove");
      return static_cast<int64_t>(sqlite3_changes(c.db()));
    });
  }

  isola::Expected<std::vector<std::string>> set_members(std::string_view key) override {
    return read<std::vector<std::string>>("SetQuery", [&](Conn& c) { return members(c, key); });
  }

  isola::Expected<std::vector<std::string>> set_union(const std::vector<std::string>& keys) override {
    return read<std::vector<std::string>>("SetUnion", [&](Conn& c) -> isola::Expected<std::vector<std::string>> {
      std::set<std::string> acc;
      for (const auto& k : keys) {
        auto m = members(c, k);
        if (!m.ok()) return m.error();
        acc.insert(m->begin(), m->end());
      }
      return std::vector<std::string>(acc.begin(), acc.end());
    });
  }

  isola::Expected<std::vector<std::string>> set_intersection(const std::vector<std::string>& keys) override {
    return read<std::vector<std::string>>(
        "SetIntersection", [&](Conn& c) -> isola::Expected<std::vector<std::string>> {
          std::vector<std::string> acc;
          for (size_t i = 0; i < keys.size(); ++i) {
            auto m = members(c, keys[i]);  // sorted
            if (!m.ok()) return m.error();
            if (i == 0) {
              acc = std::move(*m);
              continue;
            }
            std::vector<std::string> next;
            std::set_intersection(acc.begin(), acc.end(), m->begin(), m->end(), std::back_inserter(next));
            acc = std::move(next);
          }
          return acc;
        });
  }

 private:
  std::string where() const { return "keyvalue (sqlite " + file_.string() + "): "; }

  isola::Error fail(Conn& c, std::string_view op) const {
    return isola::Error{where() + std::string(op) + ": " + sqlite3_errmsg(c.db())};
  }

  static void bind(sqlite3_stmt* st, int i, std::string_view s) {
    sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }

  static bool parse_int(std::string_view s, int64_t& out) {
    if (s.empty() || s.front() == '+') return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  }

  // Runs a statement that returns no rows.
  static bool run(Conn& c, const char* sql, std::initializer_list<std::string_view> args) {
    sqlite3_stmt* st = c.stmt(sql);
    if (!st) return false;
    int i = 1;
    for (auto a : args) bind(st, i++, a);
    return sqlite3_step(st) == SQLITE_DONE;
  }

  isola::Expected<int64_t> count(Conn& c, const char* sql, std::string_view key, std::string_view op) const {
    sqlite3_stmt* st = c.stmt(sql);
    if (!st) return fail(c, op);
    bind(st, 1, key);
    if (sqlite3_step(st) != SQLITE_ROW) return fail(c, op);
    return static_cast<int64_t>(sqlite3_column_int64(st, 0));
  }

  isola::Expected<std::vector<std::string>> column_strings(Conn& c, sqlite3_stmt* st, std::string_view op) const {
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                       static_cast<size_t>(sqlite3_column_bytes(st, 0)));
    if (rc != SQLITE_DONE) return fail(c, op);
    return out;
  }

  isola::Expected<std::vector<std::string>> members(Conn& c, std::string_view key) const {
    sqlite3_stmt* st = c.stmt("SELECT member FROM kv_set WHERE key = ?1 ORDER BY member");
    if (!st) return fail(c, "SetQuery");
    bind(st, 1, key);
    return column_strings(c, st, "SetQuery");
  }

  isola::Expected<std::optional<std::string>> get_string(Conn& c, std::string_view key) const {
    sqlite3_stmt* st = c.stmt("SELECT value, expires FROM kv_string WHERE key = ?1");
    if (!st) return fail(c, "Get");
    bind(st, 1, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return fail(c, "Get");
    // An expired value reads as missing; the row itself is purged later by a Set.
    if (sqlite3_column_type(st, 1) != SQLITE_NULL && sqlite3_column_int64(st, 1) <= now_s())
      return std::optional<std::string>();
    return std::optional<std::string>(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                                                  static_cast<size_t>(sqlite3_column_bytes(st, 0))));
  }

  isola::Expected<bool> string_exists(Conn& c, std::string_view key) const {
    auto v = get_string(c, key);
    if (!v.ok()) return v.error();
    return v->has_value();
  }

  // --- connections

  isola::Expected<std::unique_ptr<Conn>> open_conn() {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(file_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    auto conn = std::make_unique<Conn>(db);  // closes db on every path below
    if (rc != SQLITE_OK) return isola::Error{where() + "cannot open: " + (db ? sqlite3_errmsg(db) : "out of memory")};
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    // WAL lets readers run beside the writer; synchronous=FULL fsyncs the log on every
    // commit, which is what makes an acknowledged write survive a crash of the host.
    char* err = nullptr;
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      return isola::Error{where() + "cannot configure: " + msg};
    }
    return conn;
  }

  isola::Expected<std::unique_ptr<Conn>> acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxConnections; });
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++open_;
    lock.unlock();
    auto c = open_conn();
    if (!c.ok()) {
      std::lock_guard relock(mu_);
      --open_;
      cv_.notify_one();
    }
    return c;
  }

  void release(std::unique_ptr<Conn> c) {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(c));
    cv_.notify_one();
  }

  template <class T, class F>
  isola::Expected<T> with_conn(std::string_view /*op*/, F&& f) {
    auto c = acquire();
    if (!c.ok()) return c.error();
    isola::Expected<T> r = f(**c);
    (*c)->reset_all();
    release(std::move(*c));
    return r;
  }

  // Runs f in a transaction: BEGIN IMMEDIATE for writers (takes the write lock up front, so
  // there is no deadlock-prone upgrade from a read lock), BEGIN for readers (one snapshot).
  template <class T, class F>
  isola::Expected<T> txn(const char* begin, std::string_view op, F&& f) {
    return with_conn<T>(op, [&](Conn& c) -> isola::Expected<T> {
      if (sqlite3_exec(c.db(), begin, nullptr, nullptr, nullptr) != SQLITE_OK) return fail(c, op);
      isola::Expected<T> r = f(c);
      if (r.ok() && sqlite3_exec(c.db(), "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK) return r;
      isola::Expected<T> out = r.ok() ? isola::Expected<T>(fail(c, op)) : std::move(r);
      sqlite3_exec(c.db(), "ROLLBACK", nullptr, nullptr, nullptr);
      return out;
    });
  }
  // Writes are committed in groups. Each writer queues its change and waits; the first to
  // find no group in progress leads: it takes everything queued, runs each change inside its
  // own savepoint of one IMMEDIATE transaction (a change that fails is rolled back alone),
  // commits once, and only then hands every writer its result. One fsync then covers many
  // writes, and writers are served in the order they came, instead of racing for SQLite's
  // write lock and sleeping in its busy handler (unfair: under load some waited seconds).
  struct Write {
    std::string_view op;
    std::function<bool(Conn&)> apply;  // stores its own result; false: roll it back
    std::optional<isola::Error> error; // the group failed to begin or commit
    bool done = false;
  };

  template <class T, class F>
  isola::Expected<T> write(std::string_view op, F&& f) {
    std::optional<isola::Expected<T>> result;
    Write w;
    w.op = op;
    w.apply = [&](Conn& c) {
      result.emplace(f(c));
      return result->ok();
    };
    submit(w);
    if (w.error) return *w.error;
    return std::move(*result);
  }

  void submit(Write& w) {
    std::unique_lock lock(write_mu_);
    write_queue_.push_back(&w);
    write_cv_.wait(lock, [&] { return w.done || !leading_; });
    if (w.done) return;
    leading_ = true;  // lead one group, which holds w, then let a waiting writer lead the next
    std::vector<Write*> group;
    group.swap(write_queue_);
    lock.unlock();
    try {
      commit_group(group);
    } catch (const std::exception& e) {  // out of memory: the open transaction dies with its connection
      for (Write* g : group)
        if (!g->error) g->error = isola::Error{where() + std::string(g->op) + ": " + e.what()};
    }
    lock.lock();
    for (Write* g : group) g->done = true;
    leading_ = false;
    write_cv_.notify_all();
  }

  void commit_group(const std::vector<Write*>& group) {
    auto conn = acquire();
    if (!conn.ok()) {
      for (Write* g : group) g->error = conn.error();
      return;
    }
    Conn& c = **conn;
    size_t first = 0;  // of the writes in the transaction now open
    auto begin = [&](size_t i) {
      first = i;
      if (sqlite3_exec(c.db(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK) return true;
      isola::Error e = fail(c, group[i]->op);
      for (size_t j = i; j < group.size(); ++j) group[j]->error = e;
      return false;
    };
    if (begin(0)) {
      for (size_t i = 0; i < group.size(); ++i) {
        Write& w = *group[i];
        if (!run(c, "SAVEPOINT w", {})) {
          w.error = fail(c, w.op);
          continue;
        }
        bool keep = false;
        try {
          keep = w.apply(c);
        } catch (const std::exception& e) {  // out of memory, most likely: this write fails alone
          w.error = isola::Error{where() + std::string(w.op) + ": " + e.what()};
        }
        c.reset_all();
        if (sqlite3_get_autocommit(c.db())) {
          // SQLite rolled the whole transaction back (some I/O and full-disk errors do):
          // the writes before this one in it are lost too, so they fail with it.
          isola::Error e = fail(c, w.op);
          for (size_t j = first; j < i; ++j) group[j]->error = e;
          if (keep) w.error = e;
          if (i + 1 < group.size() && !begin(i + 1)) break;
          continue;
        }
        if (!keep) run(c, "ROLLBACK TO w", {});
        run(c, "RELEASE w", {});
      }
      if (!sqlite3_get_autocommit(c.db()) &&
          sqlite3_exec(c.db(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        for (size_t j = first; j < group.size(); ++j)
          if (!group[j]->error) group[j]->error = fail(c, group[j]->op);
        sqlite3_exec(c.db(), "ROLLBACK", nullptr, nullptr, nullptr);
      }
    }
    c.reset_all();
    release(std::move(*conn));
  }

  template <class T, class F>
  isola::Expected<T> read(std::string_view op, F&& f) {
    return txn<T>("BEGIN", op, std::forward<F>(f));
  }

  std::filesystem::path file_;
  std::mutex write_mu_;  // guards the three below
  std::condition_variable write_cv_;
  std::vector<Write*> write_queue_;
  bool leading_ = false;  // a writer is committing a group
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  size_t open_ = 0;
};

}  // namespace

isola::Expected<std::shared_ptr<KvBackend>> open_sqlite_kv(const std::filesystem::path& file) {
  auto kv = std::make_shared<SqliteKv>(file);
  auto r = kv->init();
  if (!r.ok()) return r.error();
  return std::shared_ptr<KvBackend>(std::move(kv));
}

}  // namespace isola::host::providers
