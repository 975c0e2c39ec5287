# SPDX-License-Identifier: MIT
# Python's ssl module as the peer of sockit's TLS tests, on loopback only.
#   tls_peer.py server CERT KEY [ALPN,...]  listens on 127.0.0.1 port 0, prints "PORT n", then
#       for one client: completes the handshake, prints "SNI name" (or "SNI -") and
#       "ALPN proto" (or "ALPN -"), echoes one line, and ends with close_notify (unwrap).
#   tls_peer.py client PORT CA NAME  connects to 127.0.0.1:PORT with create_default_context()
#       trusting CA, checking NAME; sends "ping\n", prints the reply line and
#       "EOF clean" once the server's close_notify arrives.
# Errors go to stderr and the exit status is 1.
import socket
import ssl
import sys


def server(cert, key, alpn):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if alpn:
        context.set_alpn_protocols(alpn.split(","))
    seen = {}

    def on_sni(sock, name, ctx):
        seen["sni"] = name

    context.sni_callback = on_sni
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print("PORT", listener.getsockname()[1], flush=True)
        listener.settimeout(10)
        conn, _ = listener.accept()
        conn.settimeout(10)
        with context.wrap_socket(conn, server_side=True) as tls:
            print("SNI", seen.get("sni") or "-", flush=True)
            print("ALPN", tls.selected_alpn_protocol() or "-", flush=True)
            line = b""
            while not line.endswith(b"\n"):
                chunk = tls.recv(100)
                if not chunk:
                    break
                line += chunk
            tls.sendall(b"echo " + line)
            tls.unwrap()


def client(port, ca, name):
    context = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname=name, suppress_ragged_eofs=False) as tls:
            tls.sendall(b"ping\n")
            data = b""
            while True:
                chunk = tls.recv(100)
                if not chunk:
                    break
                data += chunk
            print("REPLY", data.decode().strip(), flush=True)
            print("EOF clean", flush=True)


if __name__ == "__main__":
    try:
        if sys.argv[1] == "server":
            server(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
        else:
            client(sys.argv[2], sys.argv[3], sys.argv[4])
    except Exception as e:  # one line, for the test's failure message
        print("ERROR", type(e).__name__, e, file=sys.stderr, flush=True)
        sys.exit(1)
