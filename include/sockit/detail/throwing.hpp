// SPDX-License-Identifier: MIT
// The one way sockit writes a throwing form: call the operation's std::error_code form and,
// if it set the code, throw the matching exception with a message naming the call.
#pragma once

#include <new>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

#include "sockit/address.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {

/// `call`, followed by `address` when there is one: "connect 127.0.0.1:7777".
inline std::string context(const char* call, const Address& address) {
    if (address.family() == Family::unspecified) return call;
    std::string out(call);
    out += ' ';
    out += address.to_string();
    return out;
}

/// Names a failed call and the address it concerned, for its exception's message.
struct At {
    const char* call;
    const Address& address;
};

/// The message prefix of a failed call, from a call name, an `At`, or a function that makes it.
inline std::string describe(const char* call) { return call; }
inline std::string describe(const At& at) { return context(at.call, at.address); }
template <class MakeText, class = decltype(std::declval<MakeText&>()())>
std::string describe(MakeText& make) {
    return make();
}

/// Throws the error of `call` on `address`; out of line so that callers stay small.
[[noreturn]] SOCKIT_COLD inline void throw_at(const std::error_code& ec, const char* call, const Address& address) {
    throw_error(ec, context(call, address));
}

/// Throws `ec` described by `where` (see `describe`); out of line so that callers stay small.
template <class Where>
[[noreturn]] SOCKIT_COLD void throw_described(const std::error_code& ec, Where& where) {
    throw_error(ec, describe(where));
}

/**
 * Runs `op(ec)`, an operation's `std::error_code` form, and returns its result; if it set
 * the code, throws the matching exception described by `where`: a call name, an
 * `At{call, address}`, or a function returning the text.
 */
template <class Op, class Where>
auto or_throw(Op&& op, Where&& where) -> decltype(op(std::declval<std::error_code&>())) {
    std::error_code ec;
    if constexpr (std::is_void_v<decltype(op(ec))>) {
        op(ec);
        if (ec) throw_described(ec, where);
    } else {
        auto result = op(ec);
        if (ec) throw_described(ec, where);
        return result;
    }
}

/// Runs `make()`, which builds an object and reports through `ec`, for a noexcept factory:
/// running out of memory (a host name's text, a message) becomes `not_enough_memory` and an
/// object that owns nothing.
template <class T, class Make>
T or_no_memory(std::error_code& ec, Make&& make) noexcept {
    try {
        return make();
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return T();
    }
}

/// A function that throws the exception of an error code (`throw_error`, or a stream's own
/// mapping to its own exception classes).
using RaiseError = void (*)(const std::error_code&, const std::string&, Transfer);

/// Throws the error of a transfer (`send_all`, `recv_exactly`) that stopped after `done` of
/// `total` bytes; the exception's `transferred()` is `done`. `raise` throws it.
[[noreturn]] SOCKIT_COLD inline void throw_partial(const std::error_code& ec, const char* call, const Address& address,
                                                   std::size_t done, std::size_t total, const char* verb = "sent",
                                                   RaiseError raise = throw_error) {
    std::string text = context(call, address) + " (" + verb + " " + std::to_string(done) + " of " +
                       std::to_string(total) + " bytes)";
    raise(ec, text, Transfer{done, {}});
    throw_error(ec, text); // not reached: `raise` throws
}

} // namespace sockit::detail
