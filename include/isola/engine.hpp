// Isola's WebAssembly engine: the public embedding API.
//
//   isola::Engine engine;
//   auto module = isola::Module::load_file(engine, "app.wasm");      // decode + validate
//   isola::Linker linker(engine);
//   linker.func("env", "log", [](isola::Caller& c, uint32_t ptr, uint32_t len) { ... });
//   auto pre = linker.prelink(*module);                               // resolve imports once
//   isola::Store store(engine);                                       // one per thread/request
//   auto inst = pre->instantiate(store);                              // cheap, repeatable
//   store.set_timeout(std::chrono::milliseconds(100));                // optional CPU limits
//   auto out = inst->get_func("add")->call(store, {isola::Value::i32(1), isola::Value::i32(2)});
//   if (!out) std::cerr << out.error().to_string();                   // traps are values
//
// Threading: Engine, Module and InstancePre are immutable (functions are lowered lazily,
// behind a lock) and may be shared by any number of threads. A Store, and everything
// created in it, is used by one thread at a time. See docs/embedding.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace isola {

namespace rt {  // runtime internals, opaque here
struct ModuleData;
struct StoreData;
struct FuncInst;
struct TableInst;
struct MemoryInst;
struct GlobalInst;
struct InstanceData;
struct PreData;
struct LinkerData;
struct CallContext;
struct InterruptState;
}  // namespace rt

// ---------------------------------------------------------------------------------------
// Types

// Value types carry their binary encoding.
enum class ValType : uint8_t {
  I32 = 0x7F,
  I64 = 0x7E,
  F32 = 0x7D,
  F64 = 0x7C,
  V128 = 0x7B,
  FuncRef = 0x70,
  ExternRef = 0x6F,
};
const char* to_string(ValType t);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
  std::string to_string() const;  // "(i32, i32) -> (i64)"
};

struct Limits {
  uint32_t min = 0;
  std::optional<uint32_t> max;
};

struct TableType {
  ValType elem = ValType::FuncRef;
  Limits limits;
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
};

struct GlobalType {
  ValType type = ValType::I32;
  bool mut = false;
};

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };
const char* to_string(ExternKind k);

// ---------------------------------------------------------------------------------------
// Results, errors and traps

struct Error {
  std::string message;
};

enum class TrapKind : uint8_t {
  Unreachable,
  IntegerOverflow,
  IntegerDivideByZero,
  InvalidConversion,
  MemoryOutOfBounds,
  TableOutOfBounds,
  IndirectCallTypeMismatch,
  UninitializedElement,
  UndefinedElement,
  CallStackExhausted,
  Host,  // raised by a host function; `message` says why
  Exit,  // a host function asked the guest to exit (WASI proc_exit); see exit_code
  OutOfFuel,         // "out of fuel": the store's fuel ran out (Store::set_fuel)
  Interrupted,       // "interrupted": InterruptHandle::interrupt() stopped the guest
  DeadlineExceeded,  // "deadline exceeded": the store's deadline passed (Store::set_deadline)
};
// The spec's wording: "unreachable", "integer overflow", "out of bounds memory access", ...
const char* to_string(TrapKind k);

struct Trap {
  TrapKind kind = TrapKind::Unreachable;
  std::string message;                  // for Host traps; empty otherwise
  int exit_code = 0;                    // for Exit
  uint32_t func_index = UINT32_MAX;     // function where it happened (module index space)
  uint32_t offset = 0;                  // byte offset of the instruction in the module
  std::string func_name;                // from the name section, when present
  // "out of bounds memory access in function 4 <name> at byte 0x1a3"
  std::string to_string() const;
};

// A value or an error. Minimal stand-in for C++23 std::expected.
template <class T, class E = Error>
class Expected {
 public:
  Expected(T v) : v_(std::in_place_index<0>, std::move(v)) {}
  Expected(E e) : v_(std::in_place_index<1>, std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  E& error() { return std::get<1>(v_); }
  const E& error() const { return std::get<1>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> v_;
};

// ---------------------------------------------------------------------------------------
// Engine and modules

namespace rt {
class EnginePools;
}

class Engine {
 public:
  // How linear memories keep guests inside them.
  enum class MemoryMode : uint8_t {
    // Each 32-bit memory reserves 8 GiB of address space (4 GiB of addresses plus 4 GiB of
    // memarg offsets) of which only its current pages are accessible, so loads and stores
    // carry no bounds check: an access outside faults and becomes the out-of-bounds trap.
    GuardPages,
    // Every load and store compares against the memory's size; a memory reserves only what
    // it uses and moves when it grows. For hosts with little address space (many memories
    // at once, 32-bit-style address limits, ulimit -v).
    BoundsChecks,
  };

  struct Config {
    // Deepest nesting of wasm calls before the "call stack exhausted" trap.
    uint32_t max_call_depth = 20'000;
    // 64-bit slots of operand/locals stack per store.
    uint32_t value_stack_slots = 1u << 20;
    // Wasm calls do not use the native stack, but host -> wasm -> host -> ... re-entry does.
    // Each entry into wasm from the host checks that at least this much of the thread's
    // native stack (at most a quarter of it, for small stacks) is still free, and traps
    // with "call stack exhausted" otherwise, instead of overflowing into a crash.
    uint32_t native_stack_margin = 256 * 1024;
    MemoryMode memory_mode = MemoryMode::GuardPages;
    // Instantiation pool: memories and value stacks that stores release are kept (their
    // pages returned to the kernel with madvise) and handed to the next store, so a fresh
    // instance costs no mmap/mprotect/munmap. This many of each are kept per engine;
    // 0 turns pooling off.
    uint32_t pool_size = 256;
  };
  Engine();
  explicit Engine(Config c);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  const Config& config() const { return config_; }
  rt::EnginePools& pools() const { return *pools_; }

 private:
  Config config_;
  std::unique_ptr<rt::EnginePools> pools_;
};

// What one Store may consume. Growing past a limit fails the way the spec lets it fail
// (memory.grow and table.grow return -1); instantiating past one is an instantiation error
// that names the limit.
struct StoreLimits {
  uint64_t max_memory_bytes = uint64_t{1} << 32;        // per linear memory
  uint64_t max_total_memory_bytes = UINT64_MAX;         // all memories of the store together
  uint32_t max_table_elements = 1u << 24;               // per table (the engine's cap)
  uint32_t max_instances = 10'000;                      // module instances in the store
  uint32_t max_memories = 10'000;                       // memories, defined or created by the host
  uint32_t max_tables = 10'000;                         // tables, likewise
};

struct ImportInfo {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::Func;
  FuncType func;       // kind == Func
  TableType table;     // kind == Table
  MemoryType memory;   // kind == Memory
  GlobalType global;   // kind == Global
};

struct ExportInfo {
  std::string name;
  ExternKind kind = ExternKind::Func;
  uint32_t index = 0;
  FuncType func;       // kind == Func
  TableType table;
  MemoryType memory;
  GlobalType global;
};

// A decoded and validated module. Cheap to copy (shared, immutable).
class Module {
 public:
  // Errors read "malformed: <what> at byte 0x1a3 (function 4)" or "invalid: ...".
  static Expected<Module> load(const Engine& engine, std::span<const uint8_t> bytes);
  static Expected<Module> load_file(const Engine& engine, const std::string& path);

  std::vector<ImportInfo> imports() const;
  std::vector<ExportInfo> exports() const;
  std::vector<std::string> custom_section_names() const;
  // Payload of the first custom section with that name.
  std::optional<std::span<const uint8_t>> custom_section(std::string_view name) const;
  // Name from the "name" section, or empty.
  std::string_view func_name(uint32_t func_index) const;
  uint32_t num_functions() const;          // imported + defined
  uint32_t num_imported_functions() const;

  // Lowers every defined function now instead of on first call (functions already lowered
  // are skipped). Returns the number of function-body bytes lowered by this call.
  uint64_t lower_all() const;
  // The interpreter code of a defined function, one instruction per line (lowers it if
  // needed). For debugging and performance work; the format is not stable.
  std::string disassemble(uint32_t func_index) const;

  const std::shared_ptr<const rt::ModuleData>& data() const { return d_; }

 private:
  explicit Module(std::shared_ptr<const rt::ModuleData> d) : d_(std::move(d)) {}
  std::shared_ptr<const rt::ModuleData> d_;
  friend class InstancePre;
};

// ---------------------------------------------------------------------------------------
// Store objects. Handles are small and copyable; they stay valid while their Store lives.

class Store;
class Func;

class Value {
 public:
  Value() = default;
  static Value i32(int32_t v) { return Value(ValType::I32, static_cast<uint32_t>(v)); }
  static Value i64(int64_t v) { return Value(ValType::I64, static_cast<uint64_t>(v)); }
  static Value f32(float v) { uint32_t b; std::memcpy(&b, &v, 4); return Value(ValType::F32, b); }
  static Value f64(double v) { uint64_t b; std::memcpy(&b, &v, 8); return Value(ValType::F64, b); }
  static Value f32_bits(uint32_t b) { return Value(ValType::F32, b); }
  static Value f64_bits(uint64_t b) { return Value(ValType::F64, b); }
  static Value null(ValType ref_type) { return Value(ref_type, 0); }
  static Value funcref(const Func& f);
  // An opaque host reference; nullptr is the null externref.
  static Value externref(const void* p) { return Value(ValType::ExternRef, reinterpret_cast<uintptr_t>(p)); }
  // From a raw 64-bit slot of the given type (as used by host functions).
  static Value from_bits(ValType t, uint64_t bits) { return Value(t, bits); }

  ValType type() const { return type_; }
  uint64_t bits() const { return bits_; }
  int32_t i32() const { return static_cast<int32_t>(bits_); }
  int64_t i64() const { return static_cast<int64_t>(bits_); }
  float f32() const { float f; uint32_t b = static_cast<uint32_t>(bits_); std::memcpy(&f, &b, 4); return f; }
  double f64() const { double d; std::memcpy(&d, &bits_, 8); return d; }
  bool is_null() const { return bits_ == 0; }
  Func funcref() const;
  const void* externref() const { return reinterpret_cast<const void*>(bits_); }
  std::string to_string() const;  // "i32:42", "f64:0x1p+0", "funcref:null"

 private:
  Value(ValType t, uint64_t b) : type_(t), bits_(b) {}
  ValType type_ = ValType::I32;
  uint64_t bits_ = 0;
};

class Func {
 public:
  Func() = default;
  explicit operator bool() const { return p_ != nullptr; }
  const FuncType& type() const;
  // Calls the function. Arguments are checked against its type.
  Expected<std::vector<Value>, Trap> call(Store& store, std::span<const Value> args) const;
  Expected<std::vector<Value>, Trap> call(Store& store, std::initializer_list<Value> args) const {
    return call(store, std::span<const Value>(args.begin(), args.size()));
  }
  rt::FuncInst* raw() const { return p_; }
  explicit Func(rt::FuncInst* p) : p_(p) {}

 private:
  rt::FuncInst* p_ = nullptr;
};

class Memory {
 public:
  Memory() = default;
  explicit operator bool() const { return p_ != nullptr; }
  MemoryType type() const;
  uint32_t pages() const;
  uint64_t size() const;  // bytes
  // Raw base pointer. Valid until the next grow; prefer the checked accessors below.
  uint8_t* data() const;
  // The bytes [addr, addr+len), or nullopt when any of them lies outside the memory.
  std::optional<std::span<uint8_t>> span(uint64_t addr, uint64_t len) const;
  bool read(uint64_t addr, void* dst, uint64_t len) const;
  bool write(uint64_t addr, const void* src, uint64_t len) const;
  template <class T>
  std::optional<T> load(uint64_t addr) const {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    if (!read(addr, &v, sizeof(T))) return std::nullopt;
    return v;
  }
  template <class T>
  bool store(uint64_t addr, const T& v) const {
    static_assert(std::is_trivially_copyable_v<T>);
    return write(addr, &v, sizeof(T));
  }
  // Grows by `delta` pages; returns the old size in pages, or nullopt past the limit.
  std::optional<uint32_t> grow(uint32_t delta) const;
  rt::MemoryInst* raw() const { return p_; }
  explicit Memory(rt::MemoryInst* p) : p_(p) {}

 private:
  rt::MemoryInst* p_ = nullptr;
};

class Table {
 public:
  Table() = default;
  explicit operator bool() const { return p_ != nullptr; }
  TableType type() const;
  uint32_t size() const;
  std::optional<Value> get(uint32_t i) const;
  bool set(uint32_t i, const Value& v) const;
  std::optional<uint32_t> grow(uint32_t delta, const Value& init) const;
  rt::TableInst* raw() const { return p_; }
  explicit Table(rt::TableInst* p) : p_(p) {}

 private:
  rt::TableInst* p_ = nullptr;
};

class Global {
 public:
  Global() = default;
  explicit operator bool() const { return p_ != nullptr; }
  GlobalType type() const;
  Value get() const;
  // False when the global is immutable or the value has the wrong type.
  bool set(const Value& v) const;
  rt::GlobalInst* raw() const { return p_; }
  explicit Global(rt::GlobalInst* p) : p_(p) {}

 private:
  rt::GlobalInst* p_ = nullptr;
};

// Any one of the four kinds of external value.
class Extern {
 public:
  Extern() = default;
  Extern(Func f) : kind_(ExternKind::Func), p_(f.raw()) {}
  Extern(Table t) : kind_(ExternKind::Table), p_(t.raw()) {}
  Extern(Memory m) : kind_(ExternKind::Memory), p_(m.raw()) {}
  Extern(Global g) : kind_(ExternKind::Global), p_(g.raw()) {}
  ExternKind kind() const { return kind_; }
  Func func() const { return kind_ == ExternKind::Func ? Func(static_cast<rt::FuncInst*>(p_)) : Func(); }
  Table table() const { return kind_ == ExternKind::Table ? Table(static_cast<rt::TableInst*>(p_)) : Table(); }
  Memory memory() const { return kind_ == ExternKind::Memory ? Memory(static_cast<rt::MemoryInst*>(p_)) : Memory(); }
  Global global() const { return kind_ == ExternKind::Global ? Global(static_cast<rt::GlobalInst*>(p_)) : Global(); }

 private:
  ExternKind kind_ = ExternKind::Func;
  void* p_ = nullptr;
};

class Instance {
 public:
  Instance() = default;
  explicit operator bool() const { return p_ != nullptr; }
  std::optional<Extern> get_export(std::string_view name) const;
  Func get_func(std::string_view name) const;      // null handle when absent or not a function
  Memory get_memory(std::string_view name) const;
  Table get_table(std::string_view name) const;
  Global get_global(std::string_view name) const;
  std::vector<std::pair<std::string, Extern>> exports() const;
  Memory memory() const;  // memory 0, defined or imported; null handle if none
  rt::InstanceData* raw() const { return p_; }
  explicit Instance(rt::InstanceData* p) : p_(p) {}

 private:
  rt::InstanceData* p_ = nullptr;
};

// ---------------------------------------------------------------------------------------
// Host functions

// What a host function sees of its caller.
class Caller {
 public:
  Store& store() const;
  Instance instance() const;  // the calling instance (null for calls from the host)
  Memory memory() const;      // the calling instance's memory 0, or a null handle
  // Ends the call with a trap; the guest's stack unwinds to the embedder.
  [[noreturn]] void trap(std::string message) const;
  [[noreturn]] void exit(int code) const;
  rt::CallContext* raw() const { return ctx_; }
  explicit Caller(rt::CallContext* ctx) : ctx_(ctx) {}

 private:
  rt::CallContext* ctx_;
};

// The raw form: `slots` holds the parameters on entry (one 64-bit slot each, i32 and f32
// in the low half) and receives the results (slot 0 upwards) on return.
using RawHostFn = std::function<void(Caller&, uint64_t* slots)>;

struct HostFunc {
  FuncType type;
  RawHostFn fn;
};

namespace detail {
template <class T> struct val_type_of;
template <> struct val_type_of<int32_t> { static constexpr ValType v = ValType::I32; };
template <> struct val_type_of<uint32_t> { static constexpr ValType v = ValType::I32; };
template <> struct val_type_of<int64_t> { static constexpr ValType v = ValType::I64; };
template <> struct val_type_of<uint64_t> { static constexpr ValType v = ValType::I64; };
template <> struct val_type_of<float> { static constexpr ValType v = ValType::F32; };
template <> struct val_type_of<double> { static constexpr ValType v = ValType::F64; };

template <class T> T from_slot(uint64_t s) {
  if constexpr (sizeof(T) == 4) { uint32_t b = static_cast<uint32_t>(s); T v; std::memcpy(&v, &b, 4); return v; }
  else { T v; std::memcpy(&v, &s, 8); return v; }
}
template <class T> uint64_t to_slot(T v) {
  if constexpr (sizeof(T) == 4) { uint32_t b; std::memcpy(&b, &v, 4); return b; }
  else { uint64_t b; std::memcpy(&b, &v, 8); return b; }
}

template <class T> struct results_of { static std::vector<ValType> types() { return {val_type_of<T>::v}; } };
template <> struct results_of<void> { static std::vector<ValType> types() { return {}; } };
template <class... Ts> struct results_of<std::tuple<Ts...>> {
  static std::vector<ValType> types() { return {val_type_of<Ts>::v...}; }
};

template <class F> struct fn_traits : fn_traits<decltype(&F::operator())> {};
template <class C, class R, class... A> struct fn_traits<R (C::*)(Caller&, A...) const> {
  using result = R;
  using args = std::tuple<A...>;
};
template <class C, class R, class... A> struct fn_traits<R (C::*)(Caller&, A...)> {
  using result = R;
  using args = std::tuple<A...>;
};
template <class R, class... A> struct fn_traits<R (*)(Caller&, A...)> {
  using result = R;
  using args = std::tuple<A...>;
};

template <class F, class R, class... A, size_t... I>
void invoke_typed(F& f, Caller& c, uint64_t* slots, std::index_sequence<I...>) {
  if constexpr (std::is_void_v<R>) {
    f(c, from_slot<A>(slots[I])...);
  } else if constexpr (requires { std::tuple_size<R>::value; }) {
    R r = f(c, from_slot<A>(slots[I])...);
    std::apply([&](auto... v) { size_t k = 0; ((slots[k++] = to_slot(v)), ...); }, r);
  } else {
    slots[0] = to_slot(f(c, from_slot<A>(slots[I])...));
  }
}

template <class F, class R, class... A>
HostFunc make_host_func(F f, std::tuple<A...>*) {
  HostFunc h;
  h.type.params = {val_type_of<A>::v...};
  h.type.results = results_of<R>::types();
  h.fn = [f = std::move(f)](Caller& c, uint64_t* slots) mutable {
    invoke_typed<F, R, A...>(f, c, slots, std::index_sequence_for<A...>{});
  };
  return h;
}
}  // namespace detail

// Wraps a typed C++ callable `R f(Caller&, Args...)`, where Args are int32_t, uint32_t,
// int64_t, uint64_t, float or double and R is void, one of those, or a std::tuple of them.
template <class F>
HostFunc host_func(F f) {
  using T = detail::fn_traits<std::decay_t<F>>;
  return detail::make_host_func<std::decay_t<F>, typename T::result>(
      std::move(f), static_cast<typename T::args*>(nullptr));
}

// ---------------------------------------------------------------------------------------
// Stores, linking and instantiation

// Stops a store's guest from any thread (like wasmtime's epoch interruption). Get one from
// Store::interrupt_handle(); copies share the target. It stays safe to use after its store
// is gone (it then does nothing), so a watchdog may outlive the stores it watches.
class InterruptHandle {
 public:
  InterruptHandle() = default;
  explicit operator bool() const { return s_ != nullptr; }
  // Asks the guest running in the store to stop: it traps with TrapKind::Interrupted at its
  // next loop back-edge or function entry (within microseconds, unless it is inside a host
  // function or one bulk memory/table operation, which are not interrupted). With no
  // guest running, the next call into the store traps that way as soon as it starts. The
  // request is used up by the trap it causes. Thread-safe and lock-free (also safe in a
  // signal handler).
  void interrupt() const;
  // Whether a stop request (interrupt() or a passed deadline) is waiting for the guest to
  // notice it. Long-running host functions may poll this to give up early.
  bool pending() const;

 private:
  friend class Store;
  explicit InterruptHandle(std::shared_ptr<rt::InterruptState> s) : s_(std::move(s)) {}
  std::shared_ptr<rt::InterruptState> s_;
};

class Store {
 public:
  explicit Store(const Engine& engine);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const Engine& engine() const;
  // Objects made by the host (e.g. the spec tests' "spectest" module). A table or memory
  // the store's limits (set_limits) do not allow comes back as a null handle.
  Func create_func(HostFunc f);
  Table create_table(const TableType& t, const Value& init);
  Memory create_memory(const MemoryType& t);
  Global create_global(const GlobalType& t, const Value& v);

  // Embedder data, one pointer per key. Each layer uses the address of one of its own
  // objects as its key (the WASI kernel keeps its per-instance state here), so layers never
  // overwrite each other's data. Setting nullptr removes the entry.
  void set_data(const void* key, void* p);
  // Resource limits for everything this store creates or grows from now on.
  void set_limits(const StoreLimits& limits);
  const StoreLimits& limits() const;
  uint64_t memory_bytes() const;  // bytes of linear memory the store's memories hold now
  // How many times this store's limits refused memory: a memory.grow that returned -1, or
  // a memory that could not be created, because of max_memory_bytes or
  // max_total_memory_bytes (not the memory type's own maximum). A host can tell from it
  // that a guest which then failed most likely failed for want of memory.
  uint64_t memory_limit_refusals() const;
  void* data(const void* key) const;  // nullptr when unset

  // --- Limits on guest CPU time (see docs/embedding.md, "Limits") ------------------------
  //
  // Fuel is a deterministic count of executed work: the same calls with the same inputs
  // always consume the same fuel. A unit is about one wasm instruction: entering a function
  // costs its instructions outside loops, each loop iteration (a branch back to the loop's
  // head) costs the instructions from the head to that branch, and bulk memory and table
  // operations also cost 1 per 64 bytes or 8 elements. A charge that exceeds what is left
  // traps with TrapKind::OutOfFuel and leaves 0; refuel and the instance can be called
  // again. The store is unmetered by default. Host functions consume no fuel themselves;
  // guest calls they make draw on the same store's fuel, and a host function may refuel:
  // its caller goes on with what is left when it returns.
  void set_fuel(uint64_t units);           // meter from now on, with `units` left
  void add_fuel(uint64_t units);           // refuel (starts metering from 0 if unmetered)
  void disable_fuel();                     // back to unmetered
  std::optional<uint64_t> fuel_remaining() const;  // nullopt when unmetered

  // A handle that stops this store's guest from another thread (see InterruptHandle).
  InterruptHandle interrupt_handle() const;
  // A wall-clock limit built on interruption: once `deadline` passes, the running guest (or
  // the next to run, if none is) traps with TrapKind::DeadlineExceeded, as soon as the one
  // process-wide timer thread that serves every store's deadline gets a core to raise the
  // stop request (a fraction of a millisecond on an idle core; up to a scheduler tick or
  // two when every core is busy). The deadline stays armed until it fires, is replaced or
  // is cleared, so a per-call limit is set_timeout() before the call and clear_deadline()
  // after it. Setting or clearing a deadline also drops one that has passed but not yet
  // stopped a guest.
  void set_deadline(std::chrono::steady_clock::time_point deadline);
  void set_timeout(std::chrono::steady_clock::duration timeout);  // deadline = now + timeout
  void clear_deadline();

  rt::StoreData* raw() const { return d_.get(); }

 private:
  std::unique_ptr<rt::StoreData> d_;
};

class InstancePre;

// Resolves imports by (module, name). Host functions are store-independent and may be used
// by any number of stores; externs defined from a store's objects tie the pre-linked module
// to that store.
class Linker {
 public:
  explicit Linker(const Engine& engine);
  ~Linker();
  Linker(const Linker&);
  Linker& operator=(const Linker&);

  Linker& func(std::string module, std::string name, HostFunc f);
  template <class F>
  Linker& func_typed(std::string module, std::string name, F f) {
    return func(std::move(module), std::move(name), host_func(std::move(f)));
  }
  Linker& define(std::string module, std::string name, const Extern& e);
  // Every export of `inst`, under `module`.
  Linker& define_instance(std::string module, const Instance& inst);

  // Resolves every import of `m` and checks its type. Errors name the import:
  // "unknown import: env.f", "incompatible import type for env.mem: ...".
  Expected<InstancePre> prelink(const Module& m) const;

 private:
  std::unique_ptr<rt::LinkerData> d_;
};

// A module with its imports resolved. Instantiate it as often as you like, from any thread
// (each into its own Store).
class InstancePre {
 public:
  const Module& module() const;
  // Allocates the instance, initialises tables and memories from the segments and runs the
  // start function. A trap during this (a segment out of bounds, a trap in start) is
  // returned in Error form with `trap` set; earlier segment writes stay, as the spec says.
  struct InstantiateError {
    std::string message;
    std::optional<Trap> trap;
  };
  Expected<Instance, InstantiateError> instantiate(Store& store) const;

  const std::shared_ptr<const rt::PreData>& data() const { return d_; }
  explicit InstancePre(std::shared_ptr<const rt::PreData> d) : d_(std::move(d)) {}

 private:
  std::shared_ptr<const rt::PreData> d_;
};

// ---------------------------------------------------------------------------------------
// Custom sections, byte for byte (src/wasm/binary/custom_sections.cpp)
//
// For tools that embed data in a module (claims signing) without re-encoding the rest of
// it. Each function checks the header and the framing of every section (id, LEB128 size,
// custom section name) but not what the sections contain; errors name the byte offset:
// "malformed: section size out of bounds at byte 0x1a".

struct CustomSectionRange {
  std::string name;
  size_t begin = 0;          // offset of the section's id byte
  size_t payload_begin = 0;  // offset of the first byte after the name
  size_t end = 0;            // one past the section's last byte
};
// The custom sections in file order.
Expected<std::vector<CustomSectionRange>> list_custom_sections(std::span<const uint8_t> module);
// A copy of `module` without the custom sections called `name`; every other byte is kept.
Expected<std::vector<uint8_t>> remove_custom_sections(std::span<const uint8_t> module, std::string_view name);
// A copy of `module` with a custom section `name` holding `payload` appended at the end.
Expected<std::vector<uint8_t>> append_custom_section(std::span<const uint8_t> module, std::string_view name,
                                                     std::span<const uint8_t> payload);
// A copy of `module` with every section size re-encoded as the shortest LEB128.
Expected<std::vector<uint8_t>> normalize_section_sizes(std::span<const uint8_t> module);

}  // namespace isola
