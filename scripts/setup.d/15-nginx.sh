# nginx, to test the shipped reverse-proxy config (deploy/nginx-ws.conf).
apt_install nginx-light
