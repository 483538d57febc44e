#!/bin/sh
# UNTESTED EXAMPLE: no Cloudflare API server can run where NatMap is tested, so this script has never
# been run against the real API. Read it, and try it on a throw-away record, before you rely on it.
#
# natmap -e hook: points a DNS record at the public address through Cloudflare's API v4.
#   natmap -s stun.example.org -h example.org -b 5555 -e /path/to/cloudflare-dns.sh
# Environment (set them in the service's environment, not on natmap's command line):
#   CF_API_TOKEN   an API token with Zone.DNS edit permission on the zone
#   CF_ZONE_ID     the zone's id (the zone's Overview page)
#   CF_RECORD_ID   the id of an existing record to update (list them with GET zones/$CF_ZONE_ID/dns_records)
#   CF_NAME        the record's name, such as home.example.org
#   CF_IP4P=1      write the IP4P address (address and port) as an AAAA record instead of an A record
# natmap passes: public-addr public-port ip4p private-port protocol private-addr (and NATMAP_* variables).
set -eu
: "${CF_API_TOKEN:?}" "${CF_ZONE_ID:?}" "${CF_RECORD_ID:?}" "${CF_NAME:?}"
if [ "${CF_IP4P:-0}" = 1 ]; then
  type=AAAA content=$3
else
  type=A content=$1
fi
[ -n "$content" ] || { echo "cloudflare-dns.sh: no $type content for this mapping" >&2; exit 1; }
curl -fsS -X PUT "https://api.cloudflare.com/client/v4/zones/$CF_ZONE_ID/dns_records/$CF_RECORD_ID" \
  -H "Authorization: Bearer $CF_API_TOKEN" -H "Content-Type: application/json" \
  --data "{\"type\":\"$type\",\"name\":\"$CF_NAME\",\"content\":\"$content\",\"ttl\":60,\"proxied\":false}" >/dev/null
