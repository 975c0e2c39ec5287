// SPDX-License-Identifier: MIT
// Handles: dup, release and from_fd, and handing sockets to a C API and to Asio and back
// (the snippets of docs/handles.md, compiled and run).
#include "support.hpp"

#include <type_traits>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

#if __has_include(<asio.hpp>)
#include <asio.hpp>
#define SOCKIT_TEST_HAVE_ASIO 1
#endif

using namespace std::chrono_literals;

// Each socket class shows only the operations of its kind: its Socket is not reachable by a
// conversion, only through `socket()`, and a listening socket has no send or peer.
template <class T, class = void>
struct HasSend : std::false_type {};
template <class T>
struct HasSend<T, std::void_t<decltype(std::declval<T&>().send("", 0))>> : std::true_type {};
template <class T, class = void>
struct HasPeerAddress : std::false_type {};
template <class T>
struct HasPeerAddress<T, std::void_t<decltype(std::declval<T&>().peer_address())>> : std::true_type {};

static_assert(!std::is_convertible<sockit::TcpStream*, sockit::Socket*>::value, "TcpStream hides its Socket");
static_assert(!std::is_convertible<sockit::TcpServer*, sockit::Socket*>::value, "TcpServer hides its Socket");
static_assert(!std::is_convertible<sockit::UdpSocket*, sockit::Socket*>::value, "UdpSocket hides its Socket");
static_assert(!std::is_convertible<sockit::UnixStream*, sockit::Socket*>::value, "UnixStream hides its Socket");
static_assert(!std::is_convertible<sockit::UnixServer*, sockit::Socket*>::value, "UnixServer hides its Socket");
static_assert(!std::is_convertible<sockit::UnixDatagram*, sockit::Socket*>::value, "UnixDatagram hides its Socket");
static_assert(HasSend<sockit::TcpStream>::value && HasSend<sockit::UdpSocket>::value, "streams and datagrams send");
static_assert(HasSend<sockit::UnixStream>::value && HasSend<sockit::UnixDatagram>::value, "Unix sockets send");
static_assert(!HasSend<sockit::TcpServer>::value && !HasSend<sockit::UnixServer>::value, "servers do not send");
static_assert(!HasPeerAddress<sockit::TcpServer>::value && !HasPeerAddress<sockit::UnixServer>::value,
              "servers have no peer");
static_assert(HasPeerAddress<sockit::TcpStream>::value && HasPeerAddress<sockit::UnixStream>::value,
              "streams have a peer");

namespace {
// A C API that knows only descriptors.
extern "C" int c_api_send_greeting(int fd) { return ::send(fd, "from C", 6, MSG_NOSIGNAL) == 6 ? 0 : -1; }
extern "C" int c_api_open_connected(const struct sockaddr* to, socklen_t len) {
    int fd = ::socket(to->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, to, len) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}
} // namespace

TEST_CASE("dup gives a second close-on-exec descriptor for the same socket", "[handles][dup]") {
    sockit_test::FdLeakCheck fds;
    auto [client, server] = sockit_test::tcp_pair();
    client.set_timeout(3s);
    sockit::Socket copy = client.socket().dup();
    CHECK(copy.native_handle() != client.native_handle());
    std::error_code ec;
    CHECK(sockit::detail::ops::close_on_exec(copy.native_handle(), ec));
    CHECK(copy.timeout() == std::chrono::nanoseconds(3s));
    CHECK(copy.peer_address() == client.peer_address());
    client.close();
    copy.send_all("still open"); // the socket lives while one descriptor does
    char buf[10];
    server.set_timeout(5s);
    server.recv_exactly(buf, 10);
    CHECK(std::string(buf, 10) == "still open");
    sockit::Socket closed;
    CHECK_THROWS_AS(closed.dup(), sockit::Error);
    closed.dup(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
}

TEST_CASE("A socket goes to a C API and comes back", "[handles][c]") {
    sockit_test::FdLeakCheck fds;
    sockit::TcpServer server("127.0.0.1", 0);
    auto address = server.local_address();
    // Into C: lend the descriptor (native_handle) or give it away (release).
    int fd = c_api_open_connected(address.native(), address.native_size());
    REQUIRE(fd >= 0);
    // Back from C: adopt a descriptor the C code opened.
    sockit::TcpStream adopted(sockit::Socket::from_fd(fd));
    auto [conn, peer] = server.accept();
    CHECK(adopted.local_address() == peer);
    REQUIRE(c_api_send_greeting(conn.native_handle()) == 0);
    char buf[6];
    adopted.set_timeout(5s);
    adopted.recv_exactly(buf, 6);
    CHECK(std::string(buf, 6) == "from C");
    int given = conn.release();
    CHECK_FALSE(conn.is_open());
    CHECK(::close(given) == 0); // the C side owns it now, and closes it
}

#ifdef SOCKIT_TEST_HAVE_ASIO
TEST_CASE("A socket goes to Asio and comes back", "[handles][asio]") {
    sockit_test::FdLeakCheck fds;
    auto [client, server] = sockit_test::tcp_pair();
    asio::io_context io;
    asio::ip::tcp::socket asio_socket(io);
    auto protocol = server.local_address().is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
    asio_socket.assign(protocol, server.release()); // Asio owns it now
    asio::write(asio_socket, asio::buffer("asio", 4));
    char buf[4];
    client.set_timeout(5s);
    client.recv_exactly(buf, 4);
    CHECK(std::string(buf, 4) == "asio");
    // And back: Asio gives the descriptor up, sockit adopts it.
    sockit::TcpStream back(sockit::Socket::from_fd(asio_socket.release()));
    back.send_all("back");
    client.recv_exactly(buf, 4);
    CHECK(std::string(buf, 4) == "back");
}
#else
TEST_CASE("A socket goes to Asio and comes back", "[handles][asio]") {
    FAIL("<asio.hpp> was not found: install Asio (Debian: libasio-dev; scripts/test.sh does) for this test");
}
#endif

TEST_CASE("any socket class can be handed on as SocketOperations for its options and timeout", "[handles]") {
    sockit_test::FdLeakCheck fds;
    auto tune = [](sockit::SocketOperations& s) {
        s.set_timeout(1500ms);
        s.set_option(sockit::ReceiveBufferSize(64 * 1024));
    };
    auto pair = sockit_test::tcp_pair();
    sockit::TcpServer server("127.0.0.1", 0);
    sockit::UdpSocket udp("127.0.0.1", 0);
    auto unix_pair = sockit::datagram_pair();
    std::vector<sockit::SocketOperations*> all = {&pair.first, &pair.second, &server, &udp, &unix_pair.first};
    for (auto* s : all) {
        tune(*s);
        CHECK(s->timeout() == std::chrono::milliseconds(1500));
        int raw = 0;
        socklen_t len = sizeof raw;
        REQUIRE(::getsockopt(s->native_handle(), SOL_SOCKET, SO_RCVBUF, &raw, &len) == 0);
        CHECK(s->get_option<sockit::ReceiveBufferSize>().value() == raw);
#ifdef __linux__
        CHECK(raw == sockit_test::linux_buffer_size(64 * 1024, "rmem_max")); // the value set, doubled
#else
        CHECK(raw >= 64 * 1024);
#endif
        CHECK(s->is_open());
    }
}
