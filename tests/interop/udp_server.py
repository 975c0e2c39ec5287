# -*- coding: utf-8 -*-
# The document's UDP chat server, copied as written; only the address and port
# are changed (127.0.0.1 and the port given as the first argument), and
# recvfrom, called without a size in the document, receives up to 1024 bytes.

# 声明字符编码
# coding:utf-8
import socket
import sys


def udp_server():
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(('127.0.0.1', int(sys.argv[1])))
    while True:
        server_msg, client_info = server.recvfrom(1024)
        print('%s << %s' % (client_info, server_msg.decode('utf-8')))
        msg = input('>>')
        server.sendto(msg.encode('utf-8'), client_info)


if __name__ == "__main__":
    udp_server()
