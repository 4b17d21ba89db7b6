#pragma once
// A std::function that never allocates: the callable lives in a fixed inline buffer, and one that
// does not fit is a compile error. Why: every idle connection keeps one read completion pending,
// and std::function stores a lambda holding a shared_ptr (not trivially copyable) on the heap,
// 32 bytes per idle connection. Copyable and movable like std::function; empty when moved from.
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace broker {

template <typename Signature, std::size_t Capacity = 24>
class InlineFunction;

template <typename R, typename... Args, std::size_t Capacity>
class InlineFunction<R(Args...), Capacity> {
 public:
  InlineFunction() = default;
  InlineFunction(std::nullptr_t) {}
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, InlineFunction> &&
                                                    std::is_invocable_r_v<R, std::decay_t<F>&, Args...>>>
  InlineFunction(F&& f) {  // NOLINT: implicit, as std::function's
    using Fn = std::decay_t<F>;
    static_assert(sizeof(Fn) <= Capacity && alignof(Fn) <= alignof(void*),
                  "callable too large for InlineFunction: capture less");
    new (storage_) Fn(std::forward<F>(f));
    ops_ = &ops_for<Fn>;
  }
  InlineFunction(const InlineFunction& o) {
    if (o.ops_) o.ops_->copy(storage_, o.storage_);
    ops_ = o.ops_;
  }
  InlineFunction(InlineFunction&& o) noexcept {
    if (o.ops_) o.ops_->move(storage_, o.storage_);
    ops_ = std::exchange(o.ops_, nullptr);
  }
  InlineFunction& operator=(InlineFunction o) noexcept {
    reset();
    if (o.ops_) o.ops_->move(storage_, o.storage_);
    ops_ = std::exchange(o.ops_, nullptr);
    return *this;
  }
  ~InlineFunction() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  R operator()(Args... args) const { return ops_->call(storage_, std::forward<Args>(args)...); }

 private:
  struct Ops {
    R (*call)(void*, Args&&...);
    void (*copy)(void*, const void*);
    void (*move)(void*, void*);  // move-constructs into the first, destroys the second
    void (*destroy)(void*);
  };
  template <typename Fn>
  static constexpr Ops ops_for = {
      [](void* f, Args&&... a) -> R { return (*static_cast<Fn*>(f))(std::forward<Args>(a)...); },
      [](void* to, const void* from) { new (to) Fn(*static_cast<const Fn*>(from)); },
      [](void* to, void* from) {
        new (to) Fn(std::move(*static_cast<Fn*>(from)));
        static_cast<Fn*>(from)->~Fn();
      },
      [](void* f) { static_cast<Fn*>(f)->~Fn(); },
  };

  void reset() {
    if (ops_) std::exchange(ops_, nullptr)->destroy(storage_);
  }

  alignas(void*) mutable unsigned char storage_[Capacity];
  const Ops* ops_ = nullptr;
};

}  // namespace broker
