// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include "sockit/detail/platform.hpp"

namespace sockit {

/// Errors that sockit itself detects (as opposed to errors the system reports).
enum class Errc {
    timed_out = 1,         ///< a timeout set with `set_timeout` expired
    invalid_address,       ///< address text that is not a numeric IPv4 or IPv6 address
    invalid_port,          ///< a port outside 0..65535, or port text that is not a number
    datagram_truncated,    ///< a datagram was larger than the buffer given to receive it
    end_of_stream,         ///< the peer closed the connection before the expected data arrived
    invalid_argument,      ///< an argument outside its allowed range (a negative timeout, ...)
    limit_exceeded,        ///< more data than the caller's limit arrived without the expected delimiter
    descriptors_truncated, ///< more descriptors arrived than the receiver made room for (all were closed)
    ambiguous_host,        ///< a host name for a server or UDP socket has several addresses: it binds one
};

} // namespace sockit

template <>
struct std::is_error_code_enum<sockit::Errc> : std::true_type {};

namespace sockit {

namespace detail {
class SockitCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "sockit"; }
    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
        case Errc::timed_out: return "timed out";
        case Errc::invalid_address: return "not a numeric IPv4 or IPv6 address";
        case Errc::invalid_port: return "port must be a number from 0 to 65535";
        case Errc::datagram_truncated: return "datagram truncated: larger than the receive buffer";
        case Errc::end_of_stream: return "connection closed by the peer before all data arrived";
        case Errc::invalid_argument: return "invalid argument";
        case Errc::limit_exceeded: return "size limit reached before the delimiter";
        case Errc::descriptors_truncated:
            return "more descriptors were sent than the receiver made room for (those received were closed)";
        case Errc::ambiguous_host: return "the host name has several addresses; a socket binds one";
        }
        return "unknown sockit error";
    }
    std::error_condition default_error_condition(int value) const noexcept override {
        switch (static_cast<Errc>(value)) {
        case Errc::timed_out: return std::errc::timed_out;
        case Errc::invalid_address:
        case Errc::invalid_port:
        case Errc::invalid_argument: return std::errc::invalid_argument;
        case Errc::datagram_truncated:
        case Errc::limit_exceeded:
        case Errc::descriptors_truncated: return std::errc::message_size;
        case Errc::end_of_stream:
        case Errc::ambiguous_host: return {value, *this};
        }
        return {value, *this};
    }
};

class ResolverCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "resolver"; }
    std::string message(int value) const override { return ::gai_strerror(value); }
};
} // namespace detail

/// The category of `sockit::Errc` codes.
inline const std::error_category& sockit_category() noexcept {
    static const detail::SockitCategory category;
    return category;
}

/// The category of host name resolution (`getaddrinfo`) failures.
inline const std::error_category& resolver_category() noexcept {
    static const detail::ResolverCategory category;
    return category;
}

/// Makes a `std::error_code` from a sockit error value.
inline std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), sockit_category()}; }

namespace detail {
/// What a call that moves many bytes had moved when it failed, for its exception.
struct Transfer {
    std::size_t bytes = 0; ///< bytes sent or received before the failure
    std::string received;  ///< bytes taken from the socket and not otherwise handed to the caller
};
} // namespace detail

/**
 * The base of every exception sockit throws.
 *
 * `what()` names the call and the address involved and ends with the system's
 * message, for example `connect 127.0.0.1:7777: Connection refused`; `code()`
 * holds the error code.
 */
class Error : public std::system_error {
public:
    /// Builds an error for `code` that occurred in the operation described by `context`.
    Error(std::error_code code, const std::string& context) : std::system_error(code, context) {}
    /// An error of a call that had moved `transfer.bytes` bytes when it failed.
    Error(std::error_code code, const std::string& context, detail::Transfer transfer)
        : std::system_error(code, context), transfer_(std::move(transfer)) {}

    /// How many bytes the failed call had sent or received (`send_all`, `recv_exactly`,
    /// `recv_until`, and the datagrams `send_batch` sent; 0 for other calls): the part of the
    /// data that did get through.
    std::size_t transferred() const noexcept { return transfer_.bytes; }
    /// The bytes `recv_until` had taken from the socket when it failed: they are no longer in
    /// the socket, so they are handed over here and nothing received is lost.
    const std::string& received() const noexcept { return transfer_.received; }

private:
    detail::Transfer transfer_;
};

/// Bad address or port text, or a host name that could not be resolved.
class AddressError : public Error {
    using Error::Error;
};
/// A timeout set on the socket expired before the operation completed.
class TimeoutError : public Error {
    using Error::Error;
};
/// The base of the connection failures below.
class ConnectionError : public Error {
    using Error::Error;
};
/// The peer actively refused the connection (`ECONNREFUSED`).
class ConnectionRefused : public ConnectionError {
    using ConnectionError::ConnectionError;
};
/// The peer reset the connection (`ECONNRESET`).
class ConnectionReset : public ConnectionError {
    using ConnectionError::ConnectionError;
};
/// The connection was aborted locally (`ECONNABORTED`).
class ConnectionAborted : public ConnectionError {
    using ConnectionError::ConnectionError;
};
/// Writing to a connection the peer has closed (`EPIPE`); never a SIGPIPE.
class BrokenPipe : public ConnectionError {
    using ConnectionError::ConnectionError;
};
/// The local address is already in use (`EADDRINUSE`).
class AddressInUse : public Error {
    using Error::Error;
};

namespace detail {
/// Throws the sockit exception class that matches `ec`; `context` names the call and address.
/// `transfer` says what the call had moved before it failed.
[[noreturn]] inline void throw_error(const std::error_code& ec, const std::string& context, Transfer transfer = {}) {
    if (ec.category() == resolver_category() || ec == Errc::invalid_address || ec == Errc::invalid_port ||
        ec == Errc::ambiguous_host)
        throw AddressError(ec, context, std::move(transfer));
    if (ec == std::errc::timed_out) throw TimeoutError(ec, context, std::move(transfer));
    if (ec == std::errc::connection_refused) throw ConnectionRefused(ec, context, std::move(transfer));
    if (ec == std::errc::connection_reset) throw ConnectionReset(ec, context, std::move(transfer));
    if (ec == std::errc::connection_aborted) throw ConnectionAborted(ec, context, std::move(transfer));
    if (ec == std::errc::broken_pipe) throw BrokenPipe(ec, context, std::move(transfer));
    if (ec == std::errc::address_in_use) throw AddressInUse(ec, context, std::move(transfer));
    throw Error(ec, context, std::move(transfer));
}
} // namespace detail

} // namespace sockit
