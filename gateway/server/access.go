package server

// Who may do what on the dispatch socket. Every analyst can open it (their
// notify-runner delivers as them), so opening it proves nothing. The
// kernel tells who connected (internal/peercred):
//   - trusted callers (root, the gateway's own user, members of
//     WS_DISPATCH_TRUSTED_GROUP: the webapp's and the bot's users) may do
//     everything: dispatch to anyone, health, metrics, pprof, revoke;
//   - any other caller may only dispatch to the user its uid names, and
//     gets 403 for everything else.

// selfName is how the gateway's own user is named in a 403's message.
const selfName = "the gateway's own user"
