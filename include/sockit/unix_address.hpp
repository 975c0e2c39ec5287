// SPDX-License-Identifier: MIT
// UnixAddress: the address of a Unix-domain socket (a path, a Linux abstract name, or unnamed).
#pragma once

#include <cstddef>
#include <cstring>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>

#include "sockit/address.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/detail/unix.hpp"
#include "sockit/error.hpp"

namespace sockit {

/**
 * The address of a Unix-domain socket: a filesystem path, a Linux abstract name
 * (no file; gone when the last socket bound to it closes), or unnamed (an unbound
 * socket, or one end of `stream_pair()`).
 *
 * Printed as the path, as `@name` for an abstract name, or `(unnamed)`.
 *
 * @code
 * sockit::UnixAddress file("/run/myapp.sock");
 * auto hidden = sockit::UnixAddress::abstract("myapp");   // Linux only
 * @endcode
 */
class UnixAddress {
public:
    /// Most bytes a path may have (one byte of `sun_path` is kept for the terminating NUL).
    static constexpr std::size_t max_path_size = detail::unix_path_capacity - 1;

    /// An unnamed address.
    UnixAddress() noexcept {
        std::memset(&storage_, 0, sizeof storage_);
        storage_.sun_family = detail::af_unix;
    }

    /**
     * A filesystem path.
     * @throws AddressError quoting the path if it is empty, contains a NUL byte, or is longer
     *         than `max_path_size` (the system's `sun_path` limit).
     */
    explicit UnixAddress(std::string_view path) : UnixAddress() {
        std::error_code ec;
        *this = from_path(path, ec);
        if (ec) throw_invalid(ec, "unix address ", path);
    }

    /// A filesystem path, without throwing; see the constructor.
    static UnixAddress from_path(std::string_view path, std::error_code& ec) noexcept {
        UnixAddress a;
        if (!a.assign(path, 0, ec) && path.size() > max_path_size)
            ec = std::make_error_code(std::errc::filename_too_long);
        return a;
    }

    /// A Linux abstract name (`name` without the leading NUL). @throws AddressError if it is empty or too long.
    static UnixAddress abstract(std::string_view name) {
        std::error_code ec;
        UnixAddress a = abstract(name, ec);
        if (ec) throw_invalid(ec, "abstract unix address ", name);
        return a;
    }
    /// A Linux abstract name, without throwing.
    static UnixAddress abstract(std::string_view name, std::error_code& ec) noexcept {
        UnixAddress a;
        if (!a.assign(name, 1, ec) && name.size() > max_path_size)
            ec = std::make_error_code(std::errc::filename_too_long);
        return a;
    }

    /// True for an abstract name.
    bool is_abstract() const noexcept { return name_size_ > 0 && storage_.sun_path[0] == '\0'; }
    /// True for an unnamed address.
    bool is_unnamed() const noexcept { return name_size_ == 0; }
    /// True for a filesystem path.
    bool is_path() const noexcept { return name_size_ > 0 && !is_abstract(); }

    /// The path, or the abstract name without its leading NUL; empty if unnamed.
    std::string path() const {
        if (is_abstract()) return {storage_.sun_path + 1, name_size_ - 1};
        return {storage_.sun_path, name_size_};
    }

    /// The path, `@name` for an abstract name, or `(unnamed)`.
    std::string to_string() const {
        if (is_unnamed()) return "(unnamed)";
        return is_abstract() ? "@" + path() : path();
    }

    /// The system address.
    const ::sockaddr* native() const noexcept { return reinterpret_cast<const ::sockaddr*>(&storage_); }
    /// The system address, writable (for calls that fill it in; then call `set_native_size`).
    ::sockaddr* native() noexcept { return reinterpret_cast<::sockaddr*>(&storage_); }
    /// The size to pass to the system: the family, then the path's bytes (and its NUL).
    detail::socklen_type native_size() const noexcept {
        std::size_t n = detail::unix_path_offset + name_size_ + (is_path() ? 1 : 0);
        return static_cast<detail::socklen_type>(n);
    }
    /// The number of bytes `native()` can hold.
    static constexpr detail::socklen_type native_capacity() noexcept { return sizeof(detail::sockaddr_un_type); }
    /// Takes the size a call such as getsockname returned for `native()`.
    void set_native_size(detail::socklen_type size) noexcept {
        auto bytes = static_cast<std::size_t>(size > 0 ? size : 0); // socklen_t is signed on Windows
        std::size_t n = bytes > detail::unix_path_offset ? bytes - detail::unix_path_offset : 0;
        if (n > detail::unix_path_capacity) n = detail::unix_path_capacity;
        if (n > 0 && storage_.sun_path[0] != '\0') n = ::strnlen(storage_.sun_path, n); // a path: drop the NUL
        name_size_ = n;
    }

    /// Equal if both are the same path, the same abstract name, or both unnamed.
    friend bool operator==(const UnixAddress& a, const UnixAddress& b) noexcept {
        return a.name_size_ == b.name_size_ && std::memcmp(a.storage_.sun_path, b.storage_.sun_path, a.name_size_) == 0;
    }
    /// Not equal.
    friend bool operator!=(const UnixAddress& a, const UnixAddress& b) noexcept { return !(a == b); }
    /// Prints `to_string()`.
    friend std::ostream& operator<<(std::ostream& os, const UnixAddress& a) { return os << a.to_string(); }

private:
    detail::sockaddr_un_type storage_;
    std::size_t name_size_ = 0; // bytes of sun_path in use (an abstract name's leading NUL included)

    bool assign(std::string_view name, std::size_t prefix, std::error_code& ec) noexcept {
        ec = std::make_error_code(std::errc::invalid_argument);
        if (name.empty() || name.size() > max_path_size) return false;
        if (prefix == 0 && name.find('\0') != std::string_view::npos) return false;
        std::memcpy(storage_.sun_path + prefix, name.data(), name.size());
        name_size_ = prefix + name.size();
        ec.clear();
        return true;
    }

    [[noreturn]] SOCKIT_COLD static void throw_invalid(const std::error_code& ec, const char* what,
                                                       std::string_view name) {
        std::string reason = ec == std::errc::filename_too_long
                                 ? " (" + std::to_string(name.size()) + " bytes; at most " +
                                       std::to_string(max_path_size) + " fit in sun_path)"
                             : name.empty() ? " (empty)"
                                            : " (contains a NUL byte)";
        throw AddressError(ec, what + detail::quoted(name) + reason);
    }
};

namespace detail {

/// `call`, followed by the Unix-domain `address` unless it is unnamed: "connect /run/app.sock".
inline std::string context(const char* call, const UnixAddress& address) {
    if (address.is_unnamed()) return call;
    std::string out(call);
    out += ' ';
    out += address.to_string();
    return out;
}

/// Names a failed call and the Unix-domain address it concerned, as `At` does for an `Address`:
/// `or_throw(op, UnixAt{"bind", address})`.
struct UnixAt {
    const char* call;
    const UnixAddress& address;
};

/// The message prefix of a failed call on a Unix-domain address (found by `or_throw`).
inline std::string describe(const UnixAt& at) { return context(at.call, at.address); }

} // namespace detail

} // namespace sockit
