// SPDX-License-Identifier: MIT
// Fuzz target: line reading through SocketStream (std::getline) and Socket::recv_until,
// over a connected socket pair. Whatever the bytes, the lines read back join up to the
// bytes written: nothing lost, duplicated or reordered, whatever the buffer size.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <sockit/socket.hpp>
#include <sockit/stream.hpp>

namespace {
void require(bool ok) {
    if (!ok) std::abort();
}

// A connected pair whose write side already holds `data` and is shut down.
sockit::TcpStream loaded_pair(const std::string& data) {
    int fds[2];
    require(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    sockit::Socket writer = sockit::Socket::from_fd(fds[0]);
    sockit::Socket reader = sockit::Socket::from_fd(fds[1]);
    writer.send_all(data); // small inputs fit in the socket buffer
    writer.shutdown(sockit::Shutdown::write);
    return sockit::TcpStream(std::move(reader));
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1 || size > 16384) return 0;
    // The first byte picks the stream's buffer size; the rest is the text.
    std::size_t buffer_size = 1 + data[0] % 64;
    std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);

    {
        sockit::SocketStream io(loaded_pair(text), buffer_size);
        std::string line, joined;
        while (std::getline(io, line)) joined += line + '\n';
        require(!io.error()); // end of stream is not an error
        if (!text.empty() && text.back() != '\n') joined.pop_back();
        require(joined == text);
    }
    {
        sockit::TcpStream s = loaded_pair(text);
        std::string joined;
        std::error_code ec;
        for (;;) {
            std::string part = s.recv_until("\r\n", buffer_size, ec);
            joined += part;
            if (ec == sockit::Errc::end_of_stream) break;
            require(!ec || ec == sockit::Errc::limit_exceeded);
            require(part.size() <= buffer_size);
            if (!ec) require(part.size() >= 2 && part.compare(part.size() - 2, 2, "\r\n") == 0);
        }
        require(joined == text);
    }
    return 0;
}
