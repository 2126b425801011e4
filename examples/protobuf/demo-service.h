/* SPDX-License-Identifier: MIT */
/* The example service, ready for fastipc_pb_node_create(&demo_service.base). */
#ifndef _DEMO_SERVICE_H
#define _DEMO_SERVICE_H

#include "demo.pb-c.h"

extern Fipcdemo__Demo_Service demo_service;

#endif /* _DEMO_SERVICE_H */
