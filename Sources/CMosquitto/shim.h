#ifndef CMOSQUITTO_SHIM_H
#define CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <errno.h>
#include <poll.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

/// errno as an ordinary function: Swift cannot read the C macro directly,
/// and MOSQ_ERR_ERRNO needs it captured at once.
static inline int cmosquitto_errno(void) { return errno; }

#endif
