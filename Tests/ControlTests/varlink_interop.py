#!/usr/bin/env python3
"""A third-party Varlink client (PyPI `varlink`) against a Tributary control socket.

usage: varlink_interop.py SOCKET DATASTORE QUERY WATCH_UPDATES

Calls org.varlink.service.GetInfo, io.tributary.Datastores.List, Search and a streamed Watch
(reading WATCH_UPDATES replies, then hanging up), plus one call that must fail with
NoSuchDatastore, and prints what it saw as one JSON object. The interface description is
fetched from the server and parsed by the package, so the served IDL is checked too. The
Swift ControlTests run it against an in-process server; point it at a running tributaryd to
check the real daemon the same way.
"""
import json
import sys

import varlink


def main():
    path, datastore, query, updates = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    seen = {}
    with varlink.Client(address="unix:" + path) as client:
        with client.open("org.varlink.service") as service:
            seen["info"] = service.GetInfo()
        with client.open("io.tributary.Datastores") as tributary:
            seen["list"] = [status["name"] for status in tributary.List()["datastores"]]
            seen["search"] = tributary.Search(datastore, query, 5)["results"]
            try:
                tributary.Get("no-such-datastore")
                seen["missing"] = None
            except varlink.VarlinkError as error:
                seen["missing"] = {"error": error.error(), "parameters": error.parameters()}
        with client.open("io.tributary.Datastores") as watcher:
            states = []
            for reply in watcher.Watch(datastore, _more=True):
                status = reply["status"]
                states.append({"state": status["state"], "indexed": status["pages"]["indexed"]})
                if len(states) >= updates:
                    break
            seen["watch"] = states
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
