// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstring>
#include <istream>
#include <memory>
#include <streambuf>
#include <string>
#include <system_error>
#include <utility>

#include "sockit/address.hpp"
#include "sockit/detail/throwing.hpp"
#include "sockit/error.hpp"
#include "sockit/tcp.hpp"

namespace sockit {

namespace detail {

/// How `BasicSocketStream` throws the errors of a `Stream`: as `throw_error` maps them,
/// unless the stream's header specializes this for codes of its own (tls.hpp does).
template <class Stream>
struct StreamErrors {
    /// Throws the exception of `ec`, described by `context`.
    [[noreturn]] static void raise(const std::error_code& ec, const std::string& context) { throw_error(ec, context); }
};

/**
 * The stream buffer behind BasicSocketStream: one receive and one send buffer over any
 * stream with `recv(void*, size_t, error_code&)`, `send_all(const void*, size_t,
 * error_code&)` and `peer_address(error_code&)` (TcpStream, UnixStream, TlsStream).
 */
template <class Stream>
class BasicSocketStreamBuf final : public std::streambuf {
public:
    BasicSocketStreamBuf(Stream& stream, std::size_t size)
        : stream_(stream), size_(size < 16 ? 16 : size), storage_(new char[2 * size_]), peer_(peer_of(stream)) {
        setg(in(), in(), in());
        setp(out(), out() + size_);
    }
    BasicSocketStreamBuf(const BasicSocketStreamBuf&) = delete;
    BasicSocketStreamBuf& operator=(const BasicSocketStreamBuf&) = delete;
    ~BasicSocketStreamBuf() override {
        std::error_code ignored;
        flush_out(ignored);
    }

    std::error_code error() const noexcept { return error_; }

    /// Sends everything buffered for output.
    void flush_out(std::error_code& ec) noexcept {
        ec.clear();
        auto pending = static_cast<std::size_t>(pptr() - pbase());
        if (pending == 0) return;
        std::size_t sent = stream_.send_all(pbase(), pending, ec);
        if (ec) {
            // Keep what was not sent, so that a retry after a timeout loses nothing.
            std::memmove(out(), pbase() + sent, pending - sent);
            setp(out(), out() + size_);
            pbump(static_cast<int>(pending - sent));
            return;
        }
        setp(out(), out() + size_);
    }

protected:
    int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        std::error_code ec;
        flush_out(ec); // a request written before a read must reach the peer first
        if (ec) fail(ec, "SocketStream send");
        std::size_t n = stream_.recv(in(), size_, ec);
        if (ec) fail(ec, "SocketStream recv");
        if (n == 0) return traits_type::eof();
        setg(in(), in(), in() + n);
        return traits_type::to_int_type(*gptr());
    }

    int_type overflow(int_type ch) override {
        std::error_code ec;
        flush_out(ec);
        if (ec) fail(ec, "SocketStream send");
        if (!traits_type::eq_int_type(ch, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(ch);
            pbump(1);
        }
        return traits_type::not_eof(ch);
    }

    std::streamsize xsputn(const char* s, std::streamsize n) override {
        if (static_cast<std::size_t>(n) < size_) return std::streambuf::xsputn(s, n);
        // Large writes go straight to the socket, after what is already buffered.
        std::error_code ec;
        flush_out(ec);
        if (!ec) stream_.send_all(s, static_cast<std::size_t>(n), ec);
        if (ec) fail(ec, "SocketStream send");
        return n;
    }

    int sync() override {
        std::error_code ec;
        flush_out(ec);
        if (ec) fail(ec, "SocketStream send");
        return 0;
    }

private:
    using int_type = std::streambuf::int_type;
    using traits_type = std::streambuf::traits_type;

    Stream& stream_;
    std::size_t size_;
    std::unique_ptr<char[]> storage_;
    std::error_code error_;
    Address peer_; // taken at construction: after a reset or EPIPE, getpeername fails

    static Address peer_of(const Stream& stream) noexcept {
        std::error_code ignored;
        return stream.peer_address(ignored);
    }

    char* in() noexcept { return storage_.get(); }
    char* out() noexcept { return storage_.get() + size_; }

    // The stream catches this, sets badbit, and rethrows it if the user enabled
    // exceptions for badbit; error() keeps the code either way.
    [[noreturn]] void fail(const std::error_code& ec, const char* call) {
        error_ = ec;
        StreamErrors<Stream>::raise(ec, detail::context(call, peer_));
    }
};

/// Holds the stream and its buffer so they are built before std::iostream.
template <class Stream>
struct SocketStreamStorage {
    SocketStreamStorage(Stream&& s, std::size_t size) : socket_(std::move(s)), buf_(socket_, size) {}
    Stream socket_;
    BasicSocketStreamBuf<Stream> buf_;
};

/// The stream buffer behind SocketStream (the 1.x name).
using SocketStreamBuf = BasicSocketStreamBuf<TcpStream>;

} // namespace detail

/**
 * A `std::iostream` over a connected stream: `SocketStream` over TCP (Python's `makefile`),
 * `BasicSocketStream<UnixStream>`, `TlsSocketStream` (tls.hpp).
 *
 * Reads and writes are buffered; `flush()` (or `std::endl`) sends everything
 * written so far, and pending output is also sent before the stream blocks to
 * read. The socket's timeout applies: a read or write that times out (or fails)
 * sets badbit, so `fail()` is true and `error()` tells why; with
 * `exceptions(std::ios::badbit)` the sockit exception itself (e.g.
 * `TimeoutError`) propagates. End of stream sets eofbit as usual.
 *
 * @code
 * sockit::SocketStream io(sockit::TcpClient("127.0.0.1", 7777));
 * io << "hello\n" << std::flush;
 * std::string line;
 * std::getline(io, line);
 * @endcode
 */
template <class Stream>
class BasicSocketStream : private detail::SocketStreamStorage<Stream>, public std::iostream {
    using Storage = detail::SocketStreamStorage<Stream>;

public:
    /// Takes ownership of a connected stream; `buffer_size` bytes each way.
    explicit BasicSocketStream(Stream&& stream, std::size_t buffer_size = 8192)
        : Storage(std::move(stream), buffer_size), std::iostream(&this->buf_) {}

    /// Sends any buffered output (errors ignored), then closes the socket.
    ~BasicSocketStream() override = default;

    /// The socket, e.g. to set a timeout or shut down one direction.
    Stream& socket() noexcept { return this->socket_; }

    /// The error that stopped the stream, if any (empty at end of stream).
    std::error_code error() const noexcept { return this->buf_.error(); }
};

/// A `std::iostream` over a connected TCP socket.
using SocketStream = BasicSocketStream<TcpStream>;

} // namespace sockit
