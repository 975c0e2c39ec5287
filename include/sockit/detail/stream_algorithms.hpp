// SPDX-License-Identifier: MIT
// The stream algorithms — send_all, recv_exactly, recv_until and gathered send_all — written
// once over any stream. A stream supplies its one-call primitives as functions taking the
// call's Deadline, so that every call an algorithm makes shares one deadline:
//   send_some(const char* data, std::size_t size, Deadline&, std::error_code&) -> std::size_t
//   recv_some(char* data, std::size_t size, Deadline&, std::error_code&) -> std::size_t (0: end)
//   peek_some(char* data, std::size_t size, Deadline&, std::error_code&) -> std::size_t
//   send_gather(const ConstBuffer*, std::size_t count, std::size_t skip, Deadline&, std::error_code&)
//     -> std::size_t (sends from byte `skip` of the buffers' concatenation)
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

#include "sockit/buffer.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/detail/timed_io.hpp"
#include "sockit/error.hpp"

namespace sockit::detail {

/// Sends all `size` bytes; returns the bytes sent (all of them unless `ec` is set).
template <class SendSome>
std::size_t send_all(SendSome&& send_some, const void* data, std::size_t size, std::error_code& ec) noexcept {
    const char* p = static_cast<const char*>(data);
    Deadline deadline;
    std::size_t sent = 0;
    do { // a zero-byte send_all still makes its one call, which reports a closed or reset peer
        sent += send_some(p + sent, size - sent, deadline, ec);
    } while (!ec && sent < size);
    return sent;
}

/// The total size of `count` buffers.
inline std::size_t total_size(const ConstBuffer* buffers, std::size_t count) noexcept {
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) total += buffers[i].size;
    return total;
}

/// Sends all bytes of `count` buffers, in order; returns the bytes sent.
template <class SendGather>
std::size_t send_all_gather(SendGather&& send_gather, const ConstBuffer* buffers, std::size_t count,
                            std::error_code& ec) noexcept {
    const std::size_t total = total_size(buffers, count);
    Deadline deadline;
    std::size_t sent = 0;
    ec.clear();
    while (sent < total && !ec) sent += send_gather(buffers, count, sent, deadline, ec);
    return sent;
}

/// Receives exactly `size` bytes; `Errc::end_of_stream` if the stream ends first. Returns
/// the bytes received.
template <class RecvSome>
std::size_t recv_exactly(RecvSome&& recv_some, void* data, std::size_t size, std::error_code& ec) noexcept {
    char* p = static_cast<char*>(data);
    Deadline deadline;
    std::size_t got = 0;
    ec.clear();
    while (got < size) {
        std::size_t n = recv_some(p + got, size - got, deadline, ec);
        if (ec) break;
        if (n == 0) {
            ec = make_error_code(Errc::end_of_stream);
            break;
        }
        got += n;
    }
    return got;
}

/**
 * Receives up to and including `delimiter`, at most `max_size` bytes, and returns them.
 * Peeks, then takes exactly the bytes up to the delimiter, so what follows it stays in the
 * stream. On error the bytes taken so far are returned with `ec` set: nothing is lost.
 */
template <class PeekSome, class RecvSome>
std::string recv_until(PeekSome&& peek_some, RecvSome&& recv_some, std::string_view delimiter, std::size_t max_size,
                       std::error_code& ec) {
    std::string out;
    ec.clear();
    if (delimiter.empty() || max_size == 0) {
        ec = make_error_code(Errc::invalid_argument);
        return out;
    }
    Deadline deadline;
    std::string chunk;
    while (out.size() < max_size) {
        chunk.resize(std::min<std::size_t>(max_size - out.size(), std::size_t{64} * 1024));
        std::size_t n = peek_some(&chunk[0], chunk.size(), deadline, ec);
        if (ec) return out;
        if (n == 0) {
            ec = make_error_code(Errc::end_of_stream);
            return out;
        }
        const std::size_t seen = out.size();
        std::size_t take = n;
        out.append(chunk.data(), take);
        const std::size_t from = seen >= delimiter.size() ? seen - delimiter.size() + 1 : 0;
        const std::size_t at = out.find(delimiter, from);
        if (at != std::string::npos) {
            const std::size_t end = at + delimiter.size();
            take = end - seen;
            out.resize(end);
        }
        std::size_t consumed = 0;
        while (consumed < take) { // the peeked bytes are there: this does not wait
            std::size_t m = recv_some(&chunk[0], take - consumed, deadline, ec);
            if (ec) {
                out.resize(seen + consumed); // only what was taken from the stream
                return out;
            }
            consumed += m;
        }
        if (at != std::string::npos) return out;
    }
    ec = make_error_code(Errc::limit_exceeded);
    return out;
}

/// Throws the error of a `recv_until` that got `out` before failing: the exception hands the
/// bytes over (`received()`), and the message says what the limit was or how much came.
/// `raise` throws it (`throw_error` unless a stream maps its own codes to its own classes).
[[noreturn]] SOCKIT_COLD inline void throw_recv_until(const std::error_code& ec, const Address& peer, std::string out,
                                                      std::size_t max_size, RaiseError raise = throw_error) {
    std::string text = context("recv_until", peer);
    if (ec == Errc::limit_exceeded)
        text += " (no delimiter within the limit of " + std::to_string(max_size) + " bytes)";
    else
        text += " (" + std::to_string(out.size()) + " bytes received before this, kept in the exception)";
    const std::size_t bytes = out.size();
    raise(ec, text, Transfer{bytes, std::move(out)});
    throw_error(ec, text); // not reached: `raise` throws
}

} // namespace sockit::detail
