#!/bin/bash
# build-curl.sh -- build the small static libcurl that cairn-agent links.
#
# Debian's libcurl maps about thirty libraries (OpenSSL, GnuTLS, Kerberos,
# LDAP, libssh2, RTMP, nghttp2, IDN, PSL…) and costs ~7 MB of RSS before the
# first call; the agent needs HTTP and HTTPS with certificate checks and
# nothing else. This script takes Debian's own curl source package (the
# version of the installed libcurl4-openssl-dev, so Debian's security fixes
# come along; `apt-get source`, which needs the deb-src entries that
# scripts/deps.sh adds) and builds libcurl.a with:
#   HTTP and HTTPS only (no FTP, LDAP, RTSP, DICT, TELNET, TFTP, POP3, IMAP,
#   SMTP, SMB, GOPHER, MQTT, FILE; no cookies, alt-svc, HSTS, DoH, NTLM,
#   MIME, netrc), proxies kept; TLS by mbed TLS (Debian's libmbedtls-dev,
#   linked statically), gzip by zlib; no HTTP/2, IDN, PSL, brotli, zstd,
#   GSS-API or SSH; Debian's CA bundle as the default (no CA directory:
#   mbed TLS would parse both, each the whole store).
# mbed TLS rather than a static OpenSSL: measured on the bench/agent.sh
# daemon, 3.4 MB RSS against 5.9 MB (OpenSSL's init and tables).
#
#   scripts/build-curl.sh OUT [DEBIAN-SOURCE-VERSION]
#
# writes OUT/include/curl/*.h, OUT/lib/libcurl.a and OUT/VERSION (the source
# package version actually built). Unpacks and builds in build/curl-src/,
# removed once done.
# Without a version, or when that version is no longer served, takes the
# archive's current one. The Makefile runs it once per version.
set -eu
cd "$(dirname "$0")/.."

out=${1:?usage: scripts/build-curl.sh OUT [VERSION]}
want=${2:-}
jobs=${JOBS:-2}
work=$PWD/build/curl-src

command -v dpkg-source >/dev/null || { echo "build-curl: dpkg-source missing (dpkg-dev; run scripts/deps.sh)" >&2; exit 1; }
[ -f /usr/include/mbedtls/ssl.h ] || { echo "build-curl: mbed TLS headers missing (libmbedtls-dev; run scripts/deps.sh)" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
fetch() { # [=VERSION]
    (cd "$work" && apt-get source --download-only -qq "curl$1" >"$work/fetch.log" 2>&1) ||
        { cat "$work/fetch.log" >&2; return 1; }
}
if [ -n "$want" ] && fetch "=$want" 2>/dev/null; then
    :
else
    [ -z "$want" ] || echo "build-curl: curl source $want not served, taking the archive's current one" >&2
    fetch "" || {
        echo "build-curl: apt-get source curl failed: deb-src entries missing? (scripts/deps.sh adds them, as root)" >&2
        exit 1
    }
fi
dscs=("$work"/curl_*.dsc)
dsc=${dscs[0]}
version=$(sed -n 's/^Version: //p' "$dsc")
src="$work/curl"
# apt already checked the files against the archive's signed Sources index.
dpkg-source --no-check -x "$dsc" "$src" >/dev/null
# Debian's last two patches rename the library for its GnuTLS and NSS
# flavours; the OpenSSL flavour is built without them, and so is this one.
for p in 99_nss 90_gnutls; do
    patch -s -R -p1 -d "$src" <"$src/debian/patches/$p.patch"
done

echo "build-curl: configuring curl $version (static, HTTP(S) only, mbed TLS)"
(
    cd "$src"
    # configure.ac and Makefile.am carry Debian packaging patches for LDAP
    # and GSS-API (both off here); the shipped configure is used as is
    # (maintainer mode is off, so make does not try to regenerate it).
    ./configure -q --disable-dependency-tracking --disable-silent-rules \
        --disable-shared --enable-static --with-pic \
        --enable-http --enable-proxy --disable-ftp --disable-file --disable-ldap --disable-ldaps \
        --disable-rtsp --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
        --disable-smb --disable-smtp --disable-gopher --disable-mqtt --disable-websockets \
        --disable-manual --disable-libcurl-option --disable-cookies --disable-alt-svc --disable-hsts \
        --disable-doh --disable-ntlm --disable-ntlm-wb --disable-tls-srp --disable-mime --disable-netrc \
        --disable-unix-sockets --disable-progress-meter --disable-dnsshuffle --disable-get-easy-options \
        --disable-headers-api --disable-sspi \
        --with-mbedtls --without-openssl --with-zlib \
        --without-nghttp2 --without-nghttp3 --without-ngtcp2 --without-quiche --without-msh3 \
        --without-libidn2 --without-libpsl --without-brotli --without-zstd --without-gssapi \
        --without-libssh2 --without-libssh --without-wolfssh --without-librtmp --without-libgsasl \
        --without-hyper --disable-ares \
        --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --without-ca-path --without-ca-fallback \
        CFLAGS="-O2 -g0 -ffunction-sections -fdata-sections"
)
# Under make -jN (a jobserver in MAKEFLAGS) share its job slots; alone, -j2.
case " ${MAKEFLAGS:-} " in
*jobserver*) jflag="" ;;
*) jflag="-j$jobs" ;;
esac
make -s -C "$src/lib" ${jflag:+"$jflag"} >/dev/null

rm -rf "$out"
mkdir -p "$out/lib" "$out/include/curl"
cp "$src/lib/.libs/libcurl.a" "$out/lib/"
cp "$src"/include/curl/*.h "$out/include/curl/"
echo "$version" >"$out/VERSION"
rm -rf "$work"
echo "build-curl: $out/lib/libcurl.a from curl $version"
