#!/usr/bin/python3
# A small stand-in for systemd's manager on a private D-Bus (systemd is not PID 1 here and cannot
# be): it owns org.freedesktop.systemd1 and answers the calls the systemd cgroup drivers of runc
# and rune make, recording each with its arguments' D-Bus types to a JSON-lines file, and does
# what systemd would do with a scope's cgroups on a v1/hybrid host: it makes the scope's directory
# in the hierarchies systemd manages and moves the PIDs there (StartTransientUnit), and kills and
# removes them (StopUnit). Jobs end with JobRemoved after the reply, "done" — or "failed" for a
# unit whose name contains "jobfail". Written with dbus-python (libdbus): a marshalling
# independent of rune's own.
# Usage: fake_systemd.py BUS_ADDRESS RECORD_FILE   (writes RECORD_FILE.ready once it owns the name)
import json
import os
import signal
import sys
import time

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

MANAGER = "org.freedesktop.systemd1.Manager"
# The v1 controllers systemd manages (it leaves cpuset, freezer, hugetlb, ... to others).
SYSTEMD_V1 = {"cpu", "cpuacct", "blkio", "memory", "devices", "pids", "name=systemd"}


def sig_of(v):
    if isinstance(v, dbus.Boolean):
        return "b"
    for t, s in ((dbus.Byte, "y"), (dbus.Int16, "n"), (dbus.UInt16, "q"), (dbus.Int32, "i"),
                 (dbus.UInt32, "u"), (dbus.Int64, "x"), (dbus.UInt64, "t"), (dbus.Double, "d"),
                 (dbus.ObjectPath, "o"), (dbus.Signature, "g"), (dbus.String, "s")):
        if isinstance(v, t):
            return s
    if isinstance(v, dbus.Array):
        return "a" + str(v.signature)
    if isinstance(v, dbus.Struct):
        return "(" + "".join(sig_of(x) for x in v) + ")"
    if isinstance(v, dbus.Dictionary):
        return "a{" + str(v.signature) + "}"
    raise TypeError("unexpected value %r" % (v,))


def plain(v):
    if isinstance(v, dbus.Boolean):
        return bool(v)
    if isinstance(v, (dbus.Array, dbus.Struct, list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(v)
    return int(v)


def props_json(props):
    return [{"name": str(n), "type": sig_of(v), "value": plain(v)} for n, v in props]


def expand_slice(s):
    name = s[: -len(".slice")]
    if name == "-":
        return ""
    path, prefix = "", ""
    for part in name.split("-"):
        path += "/" + prefix + part + ".slice"
        prefix += part + "-"
    return path


def hierarchies():
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            sep = fields.index("-")
            fstype, opts = fields[sep + 1], fields[sep + 3].split(",")
            if fstype == "cgroup2":
                out.append(fields[4])
            elif fstype == "cgroup" and any(o in SYSTEMD_V1 for o in opts):
                out.append(fields[4])
    return out


class UnitExists(dbus.DBusException):
    _dbus_error_name = "org.freedesktop.systemd1.UnitExists"


class NoSuchUnit(dbus.DBusException):
    _dbus_error_name = "org.freedesktop.systemd1.NoSuchUnit"


class Manager(dbus.service.Object):
    def __init__(self, bus, record):
        super().__init__(bus, "/org/freedesktop/systemd1")
        self.record = record
        self.units = {}  # name -> cgroup directories made
        self.job = 0

    def log(self, entry):
        with open(self.record, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def new_job(self, unit, result):
        self.job += 1
        job, n = "/org/freedesktop/systemd1/job/%d" % self.job, self.job
        # After the reply, as systemd does (the job runs in the next loop iteration).
        GLib.idle_add(lambda: self.JobRemoved(dbus.UInt32(n), dbus.ObjectPath(job), unit, result)
                      and False)
        return dbus.ObjectPath(job)

    @dbus.service.method(MANAGER, in_signature="ssa(sv)a(sa(sv))", out_signature="o")
    def StartTransientUnit(self, name, mode, props, aux):
        self.log({"method": "StartTransientUnit", "unit": str(name), "mode": str(mode),
                  "properties": props_json(props), "aux": len(aux)})
        if name in self.units:
            raise UnitExists("Unit %s was already loaded or has a fragment file." % name)
        if "jobfail" in name:
            return self.new_job(name, "failed")
        values = {str(n): v for n, v in props}
        slice_path = expand_slice(str(values.get("Slice", "-.slice")))
        dirs = []
        for mp in hierarchies():
            d = mp + slice_path + "/" + str(name)
            os.makedirs(d, exist_ok=True)
            dirs.append(d)
            for pid in values.get("PIDs", []):
                with open(d + "/cgroup.procs", "w") as f:
                    f.write("%d\n" % pid)
        self.units[str(name)] = dirs
        return self.new_job(name, "done")

    @dbus.service.method(MANAGER, in_signature="ss", out_signature="o")
    def StopUnit(self, name, mode):
        self.log({"method": "StopUnit", "unit": str(name), "mode": str(mode)})
        dirs = self.units.pop(str(name), None)
        if dirs is None:
            raise NoSuchUnit("Unit %s not loaded." % name)
        for d in dirs:
            try:
                with open(d + "/cgroup.procs") as f:
                    for pid in f.read().split():
                        os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        for d in dirs:
            for _ in range(100):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        return self.new_job(name, "done")

    @dbus.service.method(MANAGER, in_signature="sba(sv)", out_signature="")
    def SetUnitProperties(self, name, runtime, props):
        self.log({"method": "SetUnitProperties", "unit": str(name), "runtime": bool(runtime),
                  "properties": props_json(props)})
        if str(name) not in self.units:
            raise NoSuchUnit("Unit %s not loaded." % name)

    @dbus.service.method(MANAGER, in_signature="s", out_signature="")
    def ResetFailedUnit(self, name):
        self.log({"method": "ResetFailedUnit", "unit": str(name)})

    @dbus.service.method("org.freedesktop.DBus.Properties", in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        self.log({"method": "Get", "interface": str(interface), "property": str(prop)})
        if interface == MANAGER and prop == "Version":
            return dbus.String("252")
        raise dbus.DBusException("org.freedesktop.DBus.Error.UnknownProperty")

    @dbus.service.signal(MANAGER, signature="uoss")
    def JobRemoved(self, id_, job, unit, result):
        pass


def main():
    address, record = sys.argv[1], sys.argv[2]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    manager = Manager(bus, record)
    name = dbus.service.BusName("org.freedesktop.systemd1", bus)  # noqa: F841 (kept alive)
    open(record + ".ready", "w").close()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    loop = GLib.MainLoop()
    loop.run()
    del manager


if __name__ == "__main__":
    main()
