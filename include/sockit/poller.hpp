// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "sockit/detail/poller_backend.hpp"
#include "sockit/detail/saturate.hpp"
#include "sockit/error.hpp"

namespace sockit {

/// What a registered descriptor is watched for; combine with `|`.
enum class Interest : unsigned {
    none = 0,                                                ///< only errors and hang-ups
    readable = detail::ready::readable,                      ///< data, a connection to accept, or end of stream
    writable = detail::ready::writable,                      ///< room to send, or a non-blocking connect finished
    both = detail::ready::readable | detail::ready::writable ///< readable and writable
};

/// Both interests of `a` and `b`.
constexpr Interest operator|(Interest a, Interest b) noexcept {
    return static_cast<Interest>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}

/// One ready descriptor, as `Poller::wait` reports it.
struct PollEvent {
    std::uint64_t tag = 0;                                      ///< the tag given to `Poller::add`
    detail::native_handle_type handle = detail::invalid_handle; ///< the descriptor
    bool readable = false; ///< recv will not block (it may return 0: the peer closed), or accept will not
    bool writable = false; ///< send will not block; after a non-blocking connect: read `pending_error()`
    bool hangup = false;   ///< both directions are closed (or the connection was reset)
    bool error = false;    ///< an error is pending on the socket (`pending_error()` reads it)
};

// Poller, whose members depend on the backend, and PollEvents, which only Poller makes, in
// an inline namespace named after the backend (poller_epoll or poller_poll; see
// detail/poller_common.hpp): sockit::Poller is always the one this translation unit chose.
// The API reference names them sockit::Poller and sockit::PollEvents.
#ifndef SOCKIT_DOXYGEN
inline namespace SOCKIT_DETAIL_POLLER_ABI {
#endif

/// The events one `Poller::wait` returned: a view of the poller's own buffer, valid until
/// the next `wait`. Events of a descriptor removed after the wait have every flag cleared.
class PollEvents {
public:
    /// The element type.
    using value_type = PollEvent;
    /// An iterator over the events.
    using const_iterator = const PollEvent*;

    /// The first event.
    const PollEvent* begin() const noexcept { return data_; }
    /// Past the last event.
    const PollEvent* end() const noexcept { return data_ + size_; }
    /// How many descriptors are ready.
    std::size_t size() const noexcept { return size_; }
    /// True if no descriptor is ready (the timeout expired, or only `wake` was seen).
    bool empty() const noexcept { return size_ == 0; }
    /// The `i`-th event.
    const PollEvent& operator[](std::size_t i) const noexcept { return data_[i]; }
    /// True if `Poller::wake` was called since the previous wait returned.
    bool woken() const noexcept { return woken_; }

private:
    friend class Poller;
    PollEvents(const PollEvent* data, std::size_t size, bool woken) noexcept
        : data_(data), size_(size), woken_(woken) {}
    const PollEvent* data_;
    std::size_t size_;
    bool woken_;
};

/**
 * Waits for many sockets at once: epoll on Linux, poll(2) elsewhere (or when
 * `SOCKIT_POLLER_USE_POLL` is defined), level-triggered.
 *
 * Register a socket (anything with `native_handle()`, or a raw descriptor) with an
 * `Interest` and a 64-bit tag of your choice; `wait` returns the ready ones with
 * their tags. `wait` allocates nothing: events go into a buffer of `max_events`
 * entries made at construction (more ready descriptors are reported by the next
 * wait). Sockets used with a poller are normally non-blocking (`set_blocking(false)`),
 * so that would-block comes back as an error code instead of stalling the loop.
 *
 * One thread uses a poller; only `wake` may be called from other threads (and
 * from signal handlers). Remove a socket before closing it. If a registered
 * socket is closed anyway, the poller stops reporting it, `remove` of its number
 * succeeds, and `add` of a new socket that got its number replaces its registration.
 * Until one of those, the poll(2) backend polls a new socket that reused the number
 * under the old tag; epoll goes on reporting a closed socket whose descriptor was
 * duplicated (`dup`, `fork`) until every copy is closed. On Windows a reused handle
 * cannot be told from the old socket: there `add` of it fails with `file_exists`
 * unless a wait has already found the old socket closed; `remove` it first.
 *
 * @code
 * sockit::Poller poller;
 * server.set_blocking(false);
 * poller.add(server, sockit::Interest::readable, 0);
 * for (;;)
 *     for (const sockit::PollEvent& ev : poller.wait(std::chrono::seconds(1)))
 *         if (ev.tag == 0) accept_all(server);
 * @endcode
 */
class Poller {
public:
    /// The system's handle type (`int` on POSIX).
    using native_handle_type = detail::native_handle_type;
    /// The default size of the event buffer.
    static constexpr std::size_t default_max_events = 256;

    /// Opens a poller that reports up to `max_events` descriptors per wait. @throws Error.
    explicit Poller(std::size_t max_events = default_max_events) : Poller(max_events, Unopened{}) {
        std::error_code ec;
        open(ec);
        if (ec) detail::throw_error(ec, std::string("poller open (") + detail::PollerBackend::name + ")");
    }

    /// Opens a poller, or sets `ec` (the event buffer is allocated; std::bad_alloc is not caught).
    static Poller open(std::size_t max_events, std::error_code& ec) {
        Poller p(max_events, Unopened{});
        p.open(ec);
        return p;
    }

    /// Takes over `other`'s descriptors and registrations.
    Poller(Poller&&) noexcept = default;
    /// Closes this poller, then takes over `other`'s descriptors and registrations.
    Poller& operator=(Poller&&) noexcept = default;
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;
    ~Poller() = default;

    /// The backend's name: "epoll" or "poll".
    static constexpr const char* backend() noexcept { return detail::PollerBackend::name; }
    /// The most events one `wait` returns.
    std::size_t max_events() const noexcept { return events_.size(); }
    /// How many descriptors are registered.
    std::size_t size() const noexcept { return registered_; }
    /// True if `handle` is registered.
    bool contains(native_handle_type handle) const noexcept { return entry(handle) != nullptr; }

    /// Registers `handle` for `interest`; `wait` reports it with `tag`. A socket already
    /// registered is an error (`std::errc::file_exists`). A new socket that got the number
    /// of one closed without `remove` replaces that one's registration (see the class's
    /// description for Windows).
    void add(native_handle_type handle, Interest interest, std::uint64_t tag, std::error_code& ec) noexcept {
        if (!detail::is_valid_handle(handle)) {
            ec = std::make_error_code(std::errc::bad_file_descriptor);
            return;
        }
        auto index = static_cast<std::size_t>(handle);
        if (index >= entries_.size()) {
            try {
                entries_.resize(index + 1);
            } catch (const std::bad_alloc&) {
                ec = std::make_error_code(std::errc::not_enough_memory);
                return;
            }
        }
        // The backend fails with EEXIST if `handle` is registered and still the same file
        // (epoll_ctl knows the file; the poll backend compares fstat's device and inode).
        backend_.add(handle, static_cast<unsigned>(interest), ec);
        if (ec) return;
        Entry& e = entries_[index];
        if (e.registered)
            clear_events(handle); // the closed socket's, from the last wait
        else
            ++registered_;
        e = Entry{tag, true};
    }
    /// Registers `handle`. @throws Error naming the descriptor (already registered, closed, ...).
    void add(native_handle_type handle, Interest interest, std::uint64_t tag) {
        std::error_code ec;
        add(handle, interest, tag, ec);
        if (ec) throw_for(ec, "add", handle);
    }
    /// Registers a socket (any sockit socket class, or anything with `native_handle()`).
    template <class S, class = decltype(std::declval<const S&>().native_handle())>
    void add(const S& socket, Interest interest, std::uint64_t tag, std::error_code& ec) noexcept {
        add(socket.native_handle(), interest, tag, ec);
    }
    /// Registers a socket. @throws Error.
    template <class S, class = decltype(std::declval<const S&>().native_handle())>
    void add(const S& socket, Interest interest, std::uint64_t tag) {
        add(socket.native_handle(), interest, tag);
    }

    /// Changes the interest and tag of a registered descriptor (`std::errc::no_such_file_or_directory` if it is not).
    void modify(native_handle_type handle, Interest interest, std::uint64_t tag, std::error_code& ec) noexcept {
        Entry* e = entry(handle);
        if (e == nullptr) {
            ec = std::make_error_code(std::errc::no_such_file_or_directory);
            return;
        }
        backend_.modify(handle, static_cast<unsigned>(interest), ec);
        if (!ec) e->tag = tag;
    }
    /// Changes the interest and tag of a registered descriptor. @throws Error.
    void modify(native_handle_type handle, Interest interest, std::uint64_t tag) {
        std::error_code ec;
        modify(handle, interest, tag, ec);
        if (ec) throw_for(ec, "modify", handle);
    }
    /// Changes the interest and tag of a registered socket.
    template <class S, class = decltype(std::declval<const S&>().native_handle())>
    void modify(const S& socket, Interest interest, std::uint64_t tag, std::error_code& ec) noexcept {
        modify(socket.native_handle(), interest, tag, ec);
    }
    /// Changes the interest and tag of a registered socket. @throws Error.
    template <class S, class = decltype(std::declval<const S&>().native_handle())>
    void modify(const S& socket, Interest interest, std::uint64_t tag) {
        modify(socket.native_handle(), interest, tag);
    }

    /// Unregisters `handle` (`std::errc::no_such_file_or_directory` if it is not registered).
    /// Succeeds for a descriptor closed while registered. Events of `handle` still in
    /// the last wait's result get every flag cleared (as `add` does when it replaces a
    /// closed socket's registration).
    void remove(native_handle_type handle, std::error_code& ec) noexcept {
        Entry* e = entry(handle);
        if (e == nullptr) {
            ec = std::make_error_code(std::errc::no_such_file_or_directory);
            return;
        }
        backend_.remove(handle, ec);
        // Closed while registered: the system has already forgotten it (EBADF), or the
        // number now names another, unregistered file (ENOENT). Either way it is gone.
        if (ec == std::errc::bad_file_descriptor || ec == std::errc::no_such_file_or_directory) ec.clear();
        if (ec) return;
        *e = Entry{};
        --registered_;
        clear_events(handle);
    }
    /// Unregisters `handle`. @throws Error if it is not registered.
    void remove(native_handle_type handle) {
        std::error_code ec;
        remove(handle, ec);
        if (ec) throw_for(ec, "remove", handle);
    }
    /// Unregisters a socket.
    template <class S, class = decltype(std::declval<const S&>().native_handle())>
    void remove(const S& socket, std::error_code& ec) noexcept {
        remove(socket.native_handle(), ec);
    }
    /// Unregisters a socket. @throws Error if it is not registered.
    template <class S, class = decltype(std::declval<const S&>().native_handle())>
    void remove(const S& socket) {
        remove(socket.native_handle());
    }

    /**
     * Waits until a registered descriptor is ready, `wake` is called, or `timeout`
     * passes (none: no limit; zero: just look). Returns the ready descriptors, at most
     * `max_events()`, in a view valid until the next call; allocates nothing.
     * Interrupted system calls are resumed with the time that is left. A timeout too
     * long for the clock (`nanoseconds::max()`) waits as long as the clock can count.
     */
    PollEvents wait(std::optional<std::chrono::nanoseconds> timeout, std::error_code& ec) noexcept {
        count_ = 0;
        bool woken = false;
        ec.clear();
        if (timeout && *timeout < std::chrono::nanoseconds::zero()) {
            ec = make_error_code(Errc::invalid_argument);
            return {events_.data(), 0, false};
        }
        const std::int64_t deadline = timeout ? detail::saturating_add(detail::steady_now_ns(), timeout->count()) : 0;
        for (;;) {
            const int wait_ms = timeout ? detail::poll_timeout_ms(deadline, detail::steady_now_ns()) : -1;
            std::size_t n = backend_.wait(wait_ms, ec);
            if (ec) {
                if (ec.value() == EINTR && ec.category() == std::generic_category()) continue;
                return {events_.data(), 0, false};
            }
            for (std::size_t i = 0; i < n; ++i) {
                detail::ReadyHandle r = backend_.ready_at(i);
                if (r.handle == waker_.read_handle()) {
                    waker_.drain();
                    woken = true;
                    continue;
                }
                const Entry* e = entry(r.handle);
                if (e == nullptr) continue;
                PollEvent& out = events_[count_++];
                out.tag = e->tag;
                out.handle = r.handle;
                out.readable = (r.flags & detail::ready::readable) != 0;
                out.writable = (r.flags & detail::ready::writable) != 0;
                out.hangup = (r.flags & detail::ready::hangup) != 0;
                out.error = (r.flags & detail::ready::error) != 0;
            }
            if (count_ > 0 || woken || wait_ms >= 0) return {events_.data(), count_, woken};
        }
    }
    /// Waits for ready descriptors. @throws Error (an invalid timeout, a failing system call).
    PollEvents wait(std::optional<std::chrono::nanoseconds> timeout = std::nullopt) {
        std::error_code ec;
        PollEvents events = wait(timeout, ec);
        if (ec) detail::throw_error(ec, std::string("poller wait (") + backend() + ")");
        return events;
    }
    /// Waits at most `timeout` of any integral unit; one longer than `nanoseconds::max()`
    /// (`hours::max()`) is clamped to it, not converted with an overflow.
    template <class Rep, class Period, class = std::enable_if_t<std::is_integral<Rep>::value>>
    PollEvents wait(std::chrono::duration<Rep, Period> timeout, std::error_code& ec) noexcept {
        return wait(std::optional<std::chrono::nanoseconds>(detail::saturating_ns(timeout)), ec);
    }
    /// Waits at most `timeout`, clamped as above. @throws Error.
    template <class Rep, class Period, class = std::enable_if_t<std::is_integral<Rep>::value>>
    PollEvents wait(std::chrono::duration<Rep, Period> timeout) {
        return wait(std::optional<std::chrono::nanoseconds>(detail::saturating_ns(timeout)));
    }

    /// Makes the current or next `wait` return at once, with `woken()` true. Safe from
    /// any thread and from a signal handler: it is one write(2), and errno is left as it
    /// was (a full pipe, which means a wake-up is already pending, is no error).
    void wake(std::error_code& ec) const noexcept { waker_.wake(ec); }
    /// Makes the current or next `wait` return at once. @throws Error.
    void wake() const {
        std::error_code ec;
        wake(ec);
        if (ec) detail::throw_error(ec, "poller wake");
    }

private:
    struct Entry {
        std::uint64_t tag = 0;
        bool registered = false;
    };
    struct Unopened {};

    detail::PollerBackend backend_;
    detail::Waker waker_;
    std::vector<Entry> entries_;    // indexed by descriptor
    std::vector<PollEvent> events_; // the last wait's result
    std::size_t count_ = 0;
    std::size_t registered_ = 0;

    // The backend reports at most as many descriptors as events_ holds (the waker's
    // readiness, when reported, takes one of those places and is not returned).
    Poller(std::size_t max_events, Unopened)
        : backend_(max_events == 0 ? 1 : max_events), events_(max_events == 0 ? 1 : max_events) {}

    void open(std::error_code& ec) noexcept {
        backend_.open(ec);
        if (!ec) waker_.open(ec);
        if (!ec) backend_.add(waker_.read_handle(), detail::ready::readable, ec);
    }

    Entry* entry(native_handle_type handle) noexcept {
        if (!detail::is_valid_handle(handle) || static_cast<std::size_t>(handle) >= entries_.size()) return nullptr;
        Entry& e = entries_[static_cast<std::size_t>(handle)];
        return e.registered ? &e : nullptr;
    }
    const Entry* entry(native_handle_type handle) const noexcept { return const_cast<Poller*>(this)->entry(handle); }

    /// Clears every flag of `handle`'s events in the last wait's result.
    void clear_events(native_handle_type handle) noexcept {
        for (std::size_t i = 0; i < count_; ++i) {
            if (events_[i].handle == handle) events_[i] = PollEvent{events_[i].tag, handle};
        }
    }

    [[noreturn]] static void throw_for(const std::error_code& ec, const char* op, native_handle_type handle) {
        std::string what = std::string("poller ") + op + " fd " + std::to_string(handle);
        if (ec == std::errc::file_exists) what += " (already registered)";
        if (ec == std::errc::no_such_file_or_directory) what += " (not registered)";
        detail::throw_error(ec, what);
    }
};

#ifndef SOCKIT_DOXYGEN
} // namespace SOCKIT_DETAIL_POLLER_ABI
#endif
} // namespace sockit
