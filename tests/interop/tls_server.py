# -*- coding: utf-8 -*-
# The document's TCP chat server over TLS with Python's ssl module:
# tls_server.py PORT CERT KEY listens on 127.0.0.1:PORT, serves one client at a time
# with the PEM chain CERT and key KEY, prints "(ip, port):message" and replies
# 服务器收到了 to each message, and prints "(ip, port) left clean" when the client's
# close_notify arrives (a close without it is printed as an error, and the server goes on).
import socket
import ssl
import sys


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(10)
    while True:
        conn, peer = server.accept()
        conn.settimeout(10)
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                while True:
                    message = tls.recv(4096)
                    if not message:
                        print("%s left clean" % (peer,), flush=True)
                        break
                    print("%s:%s" % (peer, message.decode("utf-8")), flush=True)
                    tls.sendall("服务器收到了".encode("utf-8"))
        except (ssl.SSLError, OSError) as e:
            print("%s error: %s" % (peer, e), flush=True)


if __name__ == "__main__":
    main()
