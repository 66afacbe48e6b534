/*
 * Copyright (c) 2026 The ovs-colo authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#ifndef NETDEV_COLO_PROXY_H
#define NETDEV_COLO_PROXY_H 1

/* The "colo-proxy" port type: an OVS port that is one end of one of QEMU's
 * COLO proxy sockets (filter-mirror's outdev, filter-redirector's indev,
 * colo-compare's secondary_in), for the userspace datapath:
 *
 *     ovs-vsctl add-port br0 from-primary -- set interface from-primary \
 *         type=colo-proxy options:remote=tcp:192.0.2.1:9003
 *
 * Frames read from the socket are received on the port; frames sent to the
 * port are written to the socket, in QEMU's framing (colo-proxy-frame.h).
 * See ovs-colo(7) for its options, status and statistics.
 *
 * lib/netdev.c registers the class with the others (patches/). */

void netdev_colo_proxy_register(void);

#endif /* netdev-colo-proxy.h */
