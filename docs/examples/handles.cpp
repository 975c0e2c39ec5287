// SPDX-License-Identifier: MIT
// This program is quoted in the guides as laid out here, so it is not reformatted.
// clang-format off
// docs/handles.md: dup, lending a descriptor to C code, adopting one from it, and handing
// a socket to Asio and back (when <asio.hpp> is installed). Exit status 0 when all worked.
#include <sockit/sockit.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#if __has_include(<asio.hpp>)
#include <asio.hpp>
#endif

// A C library that works on descriptors.
extern "C" int c_send_hello(int fd) { return ::send(fd, "hello", 5, MSG_NOSIGNAL) == 5 ? 0 : -1; }
extern "C" int c_connect_tcp(const struct sockaddr* to, socklen_t len) {
    int fd = ::socket(to->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, to, len) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool with_c(sockit::TcpServer& server) {
    sockit::Address to = server.local_address();
    // Adopt a descriptor that C code opened: sockit closes it from now on.
    sockit::TcpStream from_c(sockit::Socket::from_fd(c_connect_tcp(to.native(), to.native_size())));
    auto [conn, peer] = server.accept();

    // Lend a descriptor to C code: sockit still owns it and closes it.
    c_send_hello(conn.native_handle());

    char buf[5];
    from_c.set_timeout(std::chrono::seconds(3));
    from_c.recv_exactly(buf, 5);
    return std::string(buf, 5) == "hello";
}

bool with_dup(sockit::TcpStream& stream) {
    sockit::Socket second = stream.socket().dup(); // close-on-exec, same socket, same timeout
    return second.peer_address() == stream.peer_address();
}

#if __has_include(<asio.hpp>)
bool with_asio(sockit::TcpStream ours, sockit::TcpStream& peer) {
    asio::io_context io;
    asio::ip::tcp::socket theirs(io);
    theirs.assign(asio::ip::tcp::v4(), ours.release()); // Asio owns the descriptor now
    asio::write(theirs, asio::buffer("asio", 4));

    sockit::TcpStream back(sockit::Socket::from_fd(theirs.release())); // and sockit again
    back.set_blocking(true); // from_fd takes the descriptor's mode: Asio may have made it non-blocking
    back.send_all("back");

    char buf[8];
    peer.recv_exactly(buf, 8);
    return std::string(buf, 8) == "asioback";
}
#endif

int main() {
    try {
        sockit::TcpServer server("127.0.0.1", 0);
        bool ok = with_c(server);
        sockit::TcpClient client("127.0.0.1", server.port());
        auto [conn, peer] = server.accept();
        ok = ok && with_dup(client);
#if __has_include(<asio.hpp>)
        conn.set_timeout(std::chrono::seconds(3));
        ok = ok && with_asio(std::move(client), conn);
#endif
        std::cout << (ok ? "handles: ok" : "handles: FAILED") << '\n';
        return ok ? 0 : 1;
    } catch (const sockit::Error& e) {
        std::cerr << "handles: " << e.what() << '\n';
        return 1;
    }
}
