#!/bin/sh
# UNTESTED EXAMPLE: no Telegram Bot API server can run where NatMap is tested, so this script has never
# been run against the real API. Read it, and try it with a test chat, before you rely on it.
#
# natmap -e hook: sends the new mapping as a message from a Telegram bot.
#   natmap -s stun.example.org -h example.org -b 5555 -e /path/to/telegram.sh
# Environment (set them in the service's environment, not on natmap's command line):
#   TG_BOT_TOKEN   the bot's token, from @BotFather
#   TG_CHAT_ID     the chat to write to (a user, group or channel id)
#   NATMAP_NAME    optional: a name for this mapping, put before the message
# natmap passes: public-addr public-port ip4p private-port protocol private-addr (and NATMAP_* variables).
set -eu
: "${TG_BOT_TOKEN:?}" "${TG_CHAT_ID:?}"
text="${NATMAP_NAME:+$NATMAP_NAME: }$5 $6:$4 is reachable at $1:$2"
curl -fsS -X POST "https://api.telegram.org/bot$TG_BOT_TOKEN/sendMessage" \
  --data-urlencode "chat_id=$TG_CHAT_ID" --data-urlencode "text=$text" >/dev/null
