// args_get, args_sizes_get, environ_get, environ_sizes_get: exact bytes, empty and unicode
// values, '=' inside values, the layout of the buffers, and --inherit-env.
//
//   args_env.wasm args first '' 'two words' 'ünïcødé 🎉' --flag=x
//       with --env PLAIN=value --env EMPTY= --env 'UNI=héllo wörld ✓ 🎉' --env WITH_EQ=a=b=c
//   args_env.wasm noenv                       (no --env)
//   args_env.wasm inherit                     (--inherit-env --env ISOLA_GUEST_OVERRIDE=cli,
//                                              host has ISOLA_GUEST_INHERITED=from-host and
//                                              ISOLA_GUEST_OVERRIDE=host)
#include <stdlib.h>

#include "check.h"

extern char** environ;

// Checks the raw args_get/args_sizes_get (or environ_*) layout against what libc saw.
static void check_raw_vector(int is_env, int want_count, char** want) {
  size_t count = 0, size = 0;
  if (is_env)
    CHECK_OK(__wasi_environ_sizes_get(&count, &size));
  else
    CHECK_OK(__wasi_args_sizes_get(&count, &size));
  CHECK_EQ(count, want_count);
  size_t want_size = 0;
  for (int i = 0; i < want_count; i++) want_size += strlen(want[i]) + 1;
  CHECK_EQ(size, want_size);

  // Guard bytes around the buffers catch writes past the sizes the kernel reported.
  uint8_t** ptrs = calloc(count + 2, sizeof *ptrs);
  uint8_t* buf = malloc(size + 32);
  REQUIRE(ptrs && buf, "out of memory");
  memset(buf, 0xA5, size + 32);
  ptrs[count] = (uint8_t*)0x5a5a5a5a;
  if (is_env)
    CHECK_OK(__wasi_environ_get(ptrs, buf));
  else
    CHECK_OK(__wasi_args_get(ptrs, buf));
  CHECK(ptrs[count] == (uint8_t*)0x5a5a5a5a, "%s_get wrote past the %zu pointers it reported",
        is_env ? "environ" : "args", count);
  size_t past = size;
  while (past < size + 32 && buf[past] == 0xA5) past++;
  CHECK(past == size + 32, "%s_get wrote past the %zu bytes it reported (byte %zu)",
        is_env ? "environ" : "args", size, past);
  uint8_t* expect_at = buf;
  for (size_t i = 0; i < count && (int)i < want_count; i++) {
    CHECK(ptrs[i] >= buf && ptrs[i] < buf + size, "%s pointer %zu outside its buffer",
          is_env ? "environ" : "args", i);
    if (ptrs[i] < buf || ptrs[i] >= buf + size) continue;
    CHECK(ptrs[i] == expect_at, "%s strings are packed in order (string %zu)",
          is_env ? "environ" : "args", i);
    size_t len = strnlen((const char*)ptrs[i], (size_t)(buf + size - ptrs[i]));
    CHECK(len < (size_t)(buf + size - ptrs[i]), "%s string %zu is NUL-terminated",
          is_env ? "environ" : "args", i);
    if (len < (size_t)(buf + size - ptrs[i])) {
      check_str(__FILE_NAME__, __LINE__, is_env ? "raw environ string" : "raw argv string",
                (const char*)ptrs[i], want[i]);
      expect_at = ptrs[i] + len + 1;
    }
  }
  free(ptrs);
  free(buf);
}

static int env_count(void) {
  int n = 0;
  while (environ && environ[n]) n++;
  return n;
}

static int count_named(const char* name) {
  size_t len = strlen(name);
  int n = 0;
  for (int i = 0; environ && environ[i]; i++)
    if (strncmp(environ[i], name, len) == 0 && environ[i][len] == '=') n++;
  return n;
}

int main(int argc, char** argv) {
  REQUIRE(argc >= 2, "argc is at least 2 (got %d): the runner passes a mode", argc);
  CHECK(argv[0] != NULL && strstr(argv[0], "args_env") != NULL,
        "argv[0] names the program (got \"%s\")", argv[0] ? argv[0] : "(null)");
  CHECK(argv[argc] == NULL, "argv[argc] is NULL");
  const char* mode = argv[1];

  if (strcmp(mode, "args") == 0) {
    CHECK_EQ(argc, 7);
    if (argc == 7) {
      CHECK_STR(argv[2], "first");
      CHECK_STR(argv[3], "");
      CHECK_STR(argv[4], "two words");
      CHECK_STR(argv[5], "\xc3\xbcn\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9 \xf0\x9f\x8e\x89");
      CHECK_EQ(strlen(argv[5]), 16);
      CHECK_STR(argv[6], "--flag=x");
    }
    check_raw_vector(0, argc, argv);

    CHECK_EQ(env_count(), 4);
    CHECK_STR(getenv("PLAIN"), "value");
    CHECK_STR(getenv("EMPTY"), "");
    CHECK_STR(getenv("UNI"), "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x8e\x89");
    CHECK_STR(getenv("WITH_EQ"), "a=b=c");
    CHECK(getenv("PATH") == NULL, "the host's PATH is not passed without --inherit-env");
    CHECK(getenv("HOME") == NULL, "the host's HOME is not passed without --inherit-env");
    check_raw_vector(1, env_count(), environ);
  } else if (strcmp(mode, "noenv") == 0) {
    CHECK_EQ(argc, 2);
    CHECK_EQ(env_count(), 0);
    size_t count = 99, size = 99;
    CHECK_OK(__wasi_environ_sizes_get(&count, &size));
    CHECK_EQ(count, 0);
    CHECK_EQ(size, 0);
    // With nothing to write, environ_get must still succeed and touch nothing.
    uint8_t* ptrs[1] = {(uint8_t*)0x1234};
    uint8_t buf[1] = {0x77};
    CHECK_OK(__wasi_environ_get(ptrs, buf));
    CHECK(ptrs[0] == (uint8_t*)0x1234 && buf[0] == 0x77, "environ_get wrote nothing");
    check_raw_vector(0, argc, argv);
  } else if (strcmp(mode, "inherit") == 0) {
    CHECK_STR(getenv("ISOLA_GUEST_INHERITED"), "from-host");
    CHECK(getenv("PATH") != NULL, "the host's PATH is inherited");
    // An explicit --env wins over the inherited value, and the name appears once.
    CHECK_STR(getenv("ISOLA_GUEST_OVERRIDE"), "cli");
    CHECK_EQ(count_named("ISOLA_GUEST_OVERRIDE"), 1);
    check_raw_vector(1, env_count(), environ);
  } else {
    REQUIRE(0, "unknown mode '%s'", mode);
  }
  return finish();
}
