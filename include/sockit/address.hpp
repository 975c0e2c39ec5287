// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/detail/ops.hpp"
#include "sockit/error.hpp"

namespace sockit {

/// An address family.
enum class Family {
    unspecified, ///< no address yet, or "any family" when resolving
    v4,          ///< IPv4
    v6,          ///< IPv6
};

namespace detail {
inline int native_family(Family f) noexcept {
    return f == Family::v4 ? af_inet : f == Family::v6 ? af_inet6 : af_unspec;
}
inline std::string quoted(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += '\'';
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[(static_cast<unsigned char>(c) >> 4) & 0xf];
            out += hex[static_cast<unsigned char>(c) & 0xf];
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}
/// `what 'text' (reason)`, the context of an error about `text`.
inline std::string describe_text(const char* what, std::string_view text, const char* reason,
                                 const char* reason_prefix = "") {
    std::string out = what;
    out += ' ';
    out += quoted(text);
    if (reason != nullptr) {
        out += " (";
        out += reason_prefix;
        out += reason;
        out += ')';
    }
    return out;
}
/// Why `text` cannot be address text, or nullptr: white space or control characters,
/// which no numeric address or port contains.
inline const char* stray_characters(std::string_view text) noexcept {
    for (char c : text) {
        if (c == ' ' || (c >= '\t' && c <= '\r')) return "white space";
    }
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') return "a control character";
    }
    return nullptr;
}
/// Why `text` is not port text, or nullptr if it is one (then `port` holds it). Port text
/// is decimal digits, leading zeros allowed ("080" is 80, as in URLs and getaddrinfo).
inline const char* port_problem(std::string_view text, std::uint16_t& port) noexcept {
    if (text.empty()) return "empty";
    for (char c : text) {
        if (c < '0' || c > '9') return "not a decimal number";
    }
    unsigned value = 0;
    for (char c : text) {
        value = value * 10 + static_cast<unsigned>(c - '0');
        if (value > 65535) return "greater than 65535";
    }
    port = static_cast<std::uint16_t>(value);
    return nullptr;
}
} // namespace detail

/// Parses port text ("7777"): decimal digits (leading zeros allowed: "080" is 80), 0..65535.
inline std::uint16_t parse_port(std::string_view text, std::error_code& ec) noexcept {
    std::uint16_t port = 0;
    if (detail::port_problem(text, port) != nullptr) {
        ec = make_error_code(Errc::invalid_port);
        return 0;
    }
    ec.clear();
    return port;
}

/**
 * Parses port text ("7777"): decimal digits (leading zeros allowed: "080" is 80).
 * @throws AddressError naming the text and the reason if it is not a number from 0 to
 *         65535, e.g. `port '+80' (not a decimal number): port must be a number from 0 to 65535`.
 */
inline std::uint16_t parse_port(std::string_view text) {
    std::uint16_t port = 0;
    if (const char* why = detail::port_problem(text, port))
        detail::throw_error(make_error_code(Errc::invalid_port), detail::describe_text("port", text, why));
    return port;
}

/**
 * An IPv4 or IPv6 endpoint: an IP address and a port.
 *
 * Built from numeric text and a port (never resolved: use `resolve` for host
 * names), printed as `127.0.0.1:7777` or `[::1]:7777`, comparable and hashable,
 * and convertible to and from the system's `sockaddr`.
 *
 * @code
 * sockit::Address a("127.0.0.1", 7777);
 * auto all = sockit::Address::resolve("localhost", 7777);
 * std::cout << a << '\n';   // 127.0.0.1:7777
 * @endcode
 */
class Address {
public:
    /// An address of no family (`family() == Family::unspecified`).
    Address() noexcept { std::memset(&storage_, 0, sizeof storage_); }

    /**
     * Parses a numeric host and a port. `""` means the IPv4 "any" address;
     * IPv6 text may carry a scope (`fe80::1%eth0`) and may be bracketed (`[::1]`);
     * brackets around anything else are an error.
     * @throws AddressError quoting the text and giving the reason if it is not a numeric
     *         address, e.g. `address '[1.2.3.4]' (brackets are only for IPv6 addresses): ...`,
     *         or naming the port if it is outside 0..65535.
     */
    Address(std::string_view host, int port) : Address() {
        std::error_code ec;
        const char* why = parse_host_port(host, port, *this, ec);
        if (ec) detail::throw_error(ec, describe_input(host, port, ec, "", why));
    }

    /// Parses a numeric host and a port without throwing; see the constructor. On failure
    /// the result is the unspecified `Address()`, which `bind`, `connect` and `send_to`
    /// reject, never the "any" address.
    static Address parse(std::string_view host, int port, std::error_code& ec) noexcept {
        Address a;
        parse_host_port(host, port, a, ec);
        return a;
    }

    /**
     * Parses an endpoint: `"127.0.0.1:80"`, or `"[::1]:80"` for IPv6 (brackets required
     * there, and allowed nowhere else, as in URLs: RFC 3986). The port is required, and is
     * decimal digits (leading zeros allowed). An empty host (`":80"`) is 0.0.0.0, as in the
     * constructor. No white space anywhere.
     * @throws AddressError quoting the text and giving the reason, e.g.
     *         `address '::1:80' (an IPv6 address with a port needs brackets: [host]:port): ...`.
     */
    static Address parse(std::string_view endpoint) {
        std::error_code ec;
        Address a;
        const char* why = parse_endpoint(endpoint, a, ec);
        if (ec)
            detail::throw_error(
                ec, detail::describe_text("address", endpoint, why, ec == Errc::invalid_port ? "the port is " : ""));
        return a;
    }

    /// Parses an endpoint without throwing; see `parse(std::string_view)`. On failure the
    /// result is the unspecified `Address()`.
    static Address parse(std::string_view endpoint, std::error_code& ec) noexcept {
        Address a;
        parse_endpoint(endpoint, a, ec);
        return a;
    }

    /// The "any" address of `family` (0.0.0.0 or ::) with port 0, to bind on every interface.
    static Address any(Family family = Family::v4) noexcept {
        Address a;
        a.init(family);
        return a;
    }
    /// The "any" address of `family` with `port`.
    /// @throws AddressError naming the port if it is outside 0..65535 (never wrapped).
    static Address any(Family family, int port) {
        Address a = any(family);
        a.set_port(port);
        return a;
    }
    /// The "any" address of `family` with `port` without throwing: a port outside
    /// 0..65535 sets `Errc::invalid_port` and returns the unspecified `Address()`.
    static Address any(Family family, int port, std::error_code& ec) noexcept {
        Address a = any(family);
        a.set_port(port, ec);
        return ec ? Address() : a;
    }

    /// The loopback address of `family` (127.0.0.1 or ::1) with port 0.
    static Address loopback(Family family = Family::v4) noexcept {
        Address a = any(family);
        if (family == Family::v4)
            a.storage_.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        else if (family == Family::v6)
            a.storage_.v6.sin6_addr = in6addr_loopback;
        return a;
    }
    /// The loopback address of `family` with `port`.
    /// @throws AddressError naming the port if it is outside 0..65535 (never wrapped).
    static Address loopback(Family family, int port) {
        Address a = loopback(family);
        a.set_port(port);
        return a;
    }
    /// The loopback address of `family` with `port` without throwing: a port outside
    /// 0..65535 sets `Errc::invalid_port` and returns the unspecified `Address()`.
    static Address loopback(Family family, int port, std::error_code& ec) noexcept {
        Address a = loopback(family);
        a.set_port(port, ec);
        return ec ? Address() : a;
    }

    /// Copies a system socket address (AF_INET or AF_INET6); anything else is an error.
    static Address from_native(const ::sockaddr* addr, std::size_t len, std::error_code& ec) noexcept {
        Address a;
        ec.clear();
        if (addr != nullptr && addr->sa_family == detail::af_inet && len >= sizeof(::sockaddr_in))
            std::memcpy(&a.storage_.v4, addr, sizeof(::sockaddr_in));
        else if (addr != nullptr && addr->sa_family == detail::af_inet6 && len >= sizeof(::sockaddr_in6))
            std::memcpy(&a.storage_.v6, addr, sizeof(::sockaddr_in6));
        else
            ec = std::make_error_code(std::errc::address_family_not_supported);
        return a;
    }

    /// Copies a system socket address. @throws AddressError if it is not IPv4 or IPv6.
    static Address from_native(const ::sockaddr* addr, std::size_t len) {
        std::error_code ec;
        Address a = from_native(addr, len, ec);
        if (ec) throw AddressError(ec, "address from sockaddr");
        return a;
    }

    /// Resolves `host` (a name or numeric text) to every address it has, in the
    /// resolver's order, each with `port`. Numeric text is never sent to a resolver.
    static std::vector<Address> resolve(std::string_view host, int port, Family family, std::error_code& ec) {
        std::vector<Address> out;
        if (port < 0 || port > 65535) {
            ec = make_error_code(Errc::invalid_port);
            return out;
        }
        Address numeric = parse(host, port, ec);
        if (!ec && (family == Family::unspecified || numeric.family() == family)) {
            out.push_back(numeric);
            return out;
        }
        if (host.empty() || host.find('\0') != std::string_view::npos || host.size() > 253) {
            ec = make_error_code(Errc::invalid_address);
            return out;
        }
        std::string name(host);
        detail::ops::getaddrinfo(
            name.c_str(), detail::native_family(family), resolver_category(),
            [&](const ::sockaddr* sa, std::size_t len) {
                std::error_code ignored;
                Address a = from_native(sa, len, ignored);
                if (ignored) return;
                a.store_port(static_cast<std::uint16_t>(port));
                out.push_back(a);
            },
            ec);
        if (!ec && out.empty()) ec = std::error_code(EAI_NONAME, resolver_category());
        return out;
    }

    /**
     * Resolves `host` with `getaddrinfo`: every address, in order.
     * @throws AddressError with the resolver's message, e.g.
     *         `resolve 'no.such.host': Name or service not known`.
     */
    static std::vector<Address> resolve(std::string_view host, int port, Family family = Family::unspecified) {
        std::error_code ec;
        auto out = resolve(host, port, family, ec);
        if (ec) detail::throw_error(ec, describe_input(host, port, ec, "resolve "));
        return out;
    }

    /// The family: v4, v6, or unspecified for a default-constructed address.
    Family family() const noexcept {
        return storage_.sa.sa_family == detail::af_inet    ? Family::v4
               : storage_.sa.sa_family == detail::af_inet6 ? Family::v6
                                                           : Family::unspecified;
    }
    /// True for an IPv4 address.
    bool is_v4() const noexcept { return family() == Family::v4; }
    /// True for an IPv6 address.
    bool is_v6() const noexcept { return family() == Family::v6; }

    /// The port, in host byte order.
    std::uint16_t port() const noexcept {
        return ntohs(is_v6() ? storage_.v6.sin6_port : is_v4() ? storage_.v4.sin_port : 0);
    }
    /// Changes the port (of an IPv4 or IPv6 address; the unspecified address has none).
    /// @throws AddressError naming the port if it is outside 0..65535 (never wrapped); the
    ///         address is then unchanged.
    void set_port(int port) {
        std::error_code ec;
        set_port(port, ec);
        if (ec) detail::throw_error(ec, "port " + std::to_string(port));
    }
    /// Changes the port without throwing: a port outside 0..65535 sets
    /// `Errc::invalid_port` and leaves the address unchanged.
    void set_port(int port, std::error_code& ec) noexcept {
        if (port < 0 || port > 65535) {
            ec = make_error_code(Errc::invalid_port);
            return;
        }
        ec.clear();
        store_port(static_cast<std::uint16_t>(port));
    }

    /// The IPv6 scope (interface index), 0 for IPv4 and global addresses.
    std::uint32_t scope_id() const noexcept { return is_v6() ? storage_.v6.sin6_scope_id : 0; }

    /// True for the wildcard addresses 0.0.0.0 and :: (every interface, when bound).
    bool is_unspecified() const noexcept {
        if (is_v4()) return storage_.v4.sin_addr.s_addr == 0;
        return is_v6() && std::memcmp(&storage_.v6.sin6_addr, &in6addr_any, sizeof(in6addr_any)) == 0;
    }

    /// True for 127.0.0.0/8 and ::1.
    bool is_loopback() const noexcept {
        if (is_v4()) return (ntohl(storage_.v4.sin_addr.s_addr) >> 24) == 127;
        return is_v6() && std::memcmp(&storage_.v6.sin6_addr, &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
    }

    /// The numeric host text: `127.0.0.1`, `::1`, `fe80::1%eth0`; empty if unspecified.
    std::string host() const {
        char buf[INET6_ADDRSTRLEN + detail::ops::interface_name_size + 1] = {};
        if (is_v4()) {
            detail::ops::inet_ntop(detail::af_inet, &storage_.v4.sin_addr, buf, sizeof buf);
        } else if (is_v6()) {
            detail::ops::inet_ntop(detail::af_inet6, &storage_.v6.sin6_addr, buf, sizeof buf);
            if (storage_.v6.sin6_scope_id != 0) {
                std::size_t n = std::strlen(buf);
                buf[n] = '%';
                if (detail::ops::interface_name(storage_.v6.sin6_scope_id, buf + n + 1) == nullptr)
                    std::snprintf(buf + n + 1, sizeof buf - n - 1, "%u",
                                  static_cast<unsigned>(storage_.v6.sin6_scope_id));
            }
        }
        return buf;
    }

    /// `127.0.0.1:7777` or `[::1]:7777`; `(unspecified)` for an empty address.
    std::string to_string() const {
        if (family() == Family::unspecified) return "(unspecified)";
        std::string h = host();
        std::string out = is_v6() ? "[" + h + "]" : h;
        out += ':';
        out += std::to_string(port());
        return out;
    }

    /// The system address, for passing to the BSD calls.
    const ::sockaddr* native() const noexcept { return &storage_.sa; }
    /// The system address, writable (for calls that fill it in).
    ::sockaddr* native() noexcept { return &storage_.sa; }
    /// The size of the system address for this family; 0 for the unspecified address, so
    /// that `bind`, `connect` and `send_to` with it fail (EINVAL; on Windows, `bind` only).
    /// With a full size, Linux reads an all-zero AF_UNSPEC address as 0.0.0.0 in `bind`
    /// (every interface), and as "dissolve the association" in `connect`.
    detail::socklen_type native_size() const noexcept {
        return static_cast<detail::socklen_type>(is_v6()   ? sizeof(::sockaddr_in6)
                                                 : is_v4() ? sizeof(::sockaddr_in)
                                                           : 0);
    }
    /// The number of bytes `native()` can hold.
    static constexpr detail::socklen_type native_capacity() noexcept { return sizeof(Storage); }

    /// Equal if family, address, port and scope are equal.
    friend bool operator==(const Address& a, const Address& b) noexcept { return a.compare(b) == 0; }
    /// Not equal.
    friend bool operator!=(const Address& a, const Address& b) noexcept { return a.compare(b) != 0; }
    /// Orders by family, then address bytes, then port, then scope.
    friend bool operator<(const Address& a, const Address& b) noexcept { return a.compare(b) < 0; }
    /// Prints `to_string()`.
    friend std::ostream& operator<<(std::ostream& os, const Address& a) { return os << a.to_string(); }

    /// A hash of the same fields `==` compares.
    std::size_t hash() const noexcept {
        std::size_t h = static_cast<std::size_t>(family()) * 1000003u ^ port();
        const unsigned char* p = bytes();
        for (std::size_t i = 0; i < byte_count(); ++i) h = (h ^ p[i]) * 1099511628211u;
        return h ^ scope_id();
    }

private:
    union Storage {
        ::sockaddr sa;
        ::sockaddr_in v4;
        ::sockaddr_in6 v6;
    } storage_;

    void store_port(std::uint16_t port) noexcept {
        if (is_v6())
            storage_.v6.sin6_port = htons(port);
        else if (is_v4())
            storage_.v4.sin_port = htons(port);
    }

    void init(Family family) noexcept {
        std::memset(&storage_, 0, sizeof storage_);
        if (family == Family::v4)
            storage_.v4.sin_family = detail::af_inet;
        else if (family == Family::v6)
            storage_.v6.sin6_family = detail::af_inet6;
    }

    const unsigned char* bytes() const noexcept {
        return is_v6() ? reinterpret_cast<const unsigned char*>(&storage_.v6.sin6_addr)
                       : reinterpret_cast<const unsigned char*>(&storage_.v4.sin_addr);
    }
    std::size_t byte_count() const noexcept {
        return is_v6() ? sizeof(storage_.v6.sin6_addr) : is_v4() ? sizeof(storage_.v4.sin_addr) : 0;
    }

    int compare(const Address& o) const noexcept {
        if (family() != o.family()) return family() < o.family() ? -1 : 1;
        if (int c = std::memcmp(bytes(), o.bytes(), byte_count())) return c;
        if (port() != o.port()) return port() < o.port() ? -1 : 1;
        if (scope_id() != o.scope_id()) return scope_id() < o.scope_id() ? -1 : 1;
        return 0;
    }

    // The parsers below set `out` and clear `ec`, or leave `out` unspecified, set `ec` and
    // return why the text is not an address (for the exception's message).

    static const char* parse_host_port(std::string_view host, int port, Address& out, std::error_code& ec) noexcept {
        out = Address();
        if (port < 0 || port > 65535) {
            ec = make_error_code(Errc::invalid_port);
            return nullptr;
        }
        const char* why = parse_host(host, out, ec);
        if (!ec) out.store_port(static_cast<std::uint16_t>(port));
        return why;
    }

    static const char* parse_endpoint(std::string_view endpoint, Address& out, std::error_code& ec) noexcept {
        out = Address();
        ec = make_error_code(Errc::invalid_address);
        if (endpoint.empty()) return "empty";
        if (const char* why = detail::stray_characters(endpoint)) return why;
        Address a;
        std::string_view port_text;
        if (endpoint.front() == '[') {
            std::size_t close = endpoint.find(']');
            if (close == std::string_view::npos) return "'[' without a closing ']'";
            if (const char* why = parse_host(endpoint.substr(0, close + 1), a, ec)) return why;
            ec = make_error_code(Errc::invalid_address);
            std::string_view rest = endpoint.substr(close + 1);
            if (rest.empty()) return "no port: write [host]:port";
            if (rest.front() != ':') return "text after ']' that is not :port";
            port_text = rest.substr(1);
        } else {
            std::size_t colon = endpoint.find(':');
            if (colon == std::string_view::npos) return "no port: write host:port";
            if (endpoint.find(':', colon + 1) != std::string_view::npos)
                return "an IPv6 address with a port needs brackets: [host]:port";
            if (const char* why = parse_host(endpoint.substr(0, colon), a, ec)) return why;
            port_text = endpoint.substr(colon + 1);
        }
        std::uint16_t port = 0;
        if (const char* why = detail::port_problem(port_text, port)) {
            ec = make_error_code(Errc::invalid_port);
            return why;
        }
        a.store_port(port);
        out = a;
        ec.clear();
        return nullptr;
    }

    static const char* parse_host(std::string_view host, Address& out, std::error_code& ec) noexcept {
        out = Address();
        ec = make_error_code(Errc::invalid_address);
        Address a;
        if (host.empty()) {
            a.init(Family::v4);
            out = a;
            ec.clear();
            return nullptr;
        }
        if (const char* why = detail::stray_characters(host)) return why;
        if (host.front() == '[') {
            if (host.back() != ']') return "'[' without a closing ']'";
            host = host.substr(1, host.size() - 2);
            if (host.empty()) return "nothing between the brackets";
            if (host.find(':') == std::string_view::npos) return "brackets are only for IPv6 addresses";
        }
        if (host.find_first_of("[]") != std::string_view::npos) return "a bracket out of place";
        char buf[INET6_ADDRSTRLEN + detail::ops::interface_name_size + 1];
        if (host.size() >= sizeof buf) return "too long";
        std::memcpy(buf, host.data(), host.size());
        buf[host.size()] = '\0';
        if (host.find(':') == std::string_view::npos) {
            if (host.find('%') != std::string_view::npos) return "a scope ('%') is only for IPv6 addresses";
            a.init(Family::v4);
            if (detail::ops::inet_pton(detail::af_inet, buf, &a.storage_.v4.sin_addr) != 1)
                return "not a numeric IPv4 address; resolve host names with Address::resolve";
        } else {
            a.init(Family::v6);
            char* scope = std::strchr(buf, '%');
            if (scope != nullptr) {
                *scope++ = '\0';
                if (*scope == '\0') return "an empty IPv6 scope after '%'";
                unsigned index = 0;
                if (std::strspn(scope, "0123456789") == std::strlen(scope)) {
                    if (std::strlen(scope) > 9) return "IPv6 scope number too large";
                    index = static_cast<unsigned>(std::strtoul(scope, nullptr, 10));
                    if (index == 0) return "IPv6 scope 0 names no interface";
                } else {
                    index = detail::ops::interface_index(scope);
                    if (index == 0) return "no network interface of that name for the IPv6 scope";
                }
                a.storage_.v6.sin6_scope_id = index;
            }
            if (detail::ops::inet_pton(detail::af_inet6, buf, &a.storage_.v6.sin6_addr) != 1)
                return "not a numeric IPv6 address";
        }
        out = a;
        ec.clear();
        return nullptr;
    }

    static std::string describe_input(std::string_view host, int port, const std::error_code& ec, const char* verb = "",
                                      const char* why = nullptr) {
        if (ec == Errc::invalid_port) return std::string(verb) + "port " + std::to_string(port);
        if (*verb) return verb + detail::quoted(host);
        return detail::describe_text("address", host, why);
    }
};

} // namespace sockit

/// Hashes a sockit::Address so that it can key unordered containers.
template <>
struct std::hash<sockit::Address> {
    /// `a.hash()`.
    std::size_t operator()(const sockit::Address& a) const noexcept { return a.hash(); }
};
