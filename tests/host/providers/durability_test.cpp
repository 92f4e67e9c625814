// An acknowledged write survives `kill -9`: a child process increments a counter and reports
// each acknowledged value through a pipe; the parent kills it mid-stream with SIGKILL, then
// reopens the store and checks that the counter is at least the last acknowledged value.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.hpp"

namespace isola::host::test {
namespace {

TEST(KeyValueSqlite, AcknowledgedWritesSurviveKill9) {
  TempDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto p = make_provider("wascc:keyvalue", {{"store", "durable"}}, ProviderEnv{dir.path, nullptr});
    if (!p.ok()) ::_exit(2);
    mp::Writer w;
    w.map(2).str("key").str("n").str("value").sint(1);
    auto req = w.take();
    for (;;) {  // until killed
      Caller caller{"child", ""};
      auto r = (*p)->call(caller, "Add", req);
      if (!r.ok) ::_exit(3);
      auto v = mp::decode(r.data);
      int64_t n = v.ok() && v->find("value") ? v->find("value")->as_i64().value_or(-1) : -1;
      if (::write(fds[1], &n, sizeof n) != sizeof n) ::_exit(4);
    }
  }
  ::close(fds[1]);
  // Read a number of acknowledgements, kill, then drain what was acknowledged before death.
  int64_t last = 0, n = 0;
  int count = 0;
  while (count < 200 && ::read(fds[0], &n, sizeof n) == sizeof n) last = n, ++count;
  ::kill(pid, SIGKILL);
  while (::read(fds[0], &n, sizeof n) == sizeof n) last = n, ++count;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
  ASSERT_GE(count, 200);
  EXPECT_EQ(last, count);  // each acknowledgement was one more than the one before

  auto p = make_provider("wascc:keyvalue", {{"store", "durable"}}, ProviderEnv{dir.path, nullptr});
  ASSERT_TRUE(p.ok()) << p.error().message;
  mp::Writer w;
  w.map(1).str("key").str("n");
  auto got = decoded(call(**p, "Get", w.take()));
  ASSERT_TRUE(got.find("value"));
  int64_t stored = std::stoll(std::string(got.find("value")->as_str().value_or("0")));
  // Every acknowledged increment is there; at most the one in flight is extra.
  EXPECT_GE(stored, last);
  EXPECT_LE(stored, last + 1);
}

}  // namespace
}  // namespace isola::host::test
