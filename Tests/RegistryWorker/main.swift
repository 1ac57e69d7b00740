// A worker process for the registry's multi-process tests, built only for them.
//
// <registry> is a location as `--registry` takes it: a file path or a postgres:// URI.
//
//   RegistryTestWorker <registry> <study> drain   claim trials until none is queued, running each
//                                                 as a registry run; print "done <trial> <run>" per trial
//   RegistryTestWorker <registry> <study> hang    claim one trial, start its run, print
//                                                 "claimed <trial> <run>", then wait to be killed
//   RegistryTestWorker <registry> <study> create  open (maybe creating) the registry, create the
//                                                 study, record one completed run, print "created <run>"
//   RegistryTestWorker <registry> <study> claim   claim and complete trials (no run, no metrics) until none
//                                                 is queued, print "claimed <count>": measures the queue
//                                                 itself under contention, e.g. 8 of them on 2000 trials
import Foundation
import Registry

let arguments = CommandLine.arguments
guard arguments.count == 4, ["drain", "hang", "create", "claim"].contains(arguments[3]) else {
    FileHandle.standardError.write(Data("usage: RegistryTestWorker <registry> <study> drain|hang|create|claim\n".utf8))
    exit(2)
}
let (location, studyName, mode) = (arguments[1], arguments[2], arguments[3])

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

do {
    let registry = try RunRegistry.open(location: location)
    if mode == "create" {
        _ = try registry.createStudy(
            StudySpec(name: studyName, experiment: "mp", objective: "val/loss", direction: .minimize))
        let run = try registry.startRun(RunSpec(experiment: "mp", paper: "test"))
        try registry.finish(run, status: .completed)
        say("created \(run)")
        exit(0)
    }
    guard let study = try registry.study(named: studyName) else { throw RegistryError.unknownStudy(studyName) }
    let worker = Worker.current
    if mode == "claim" {
        var count = 0
        while let trial = try registry.claim(from: study.id, worker: worker) {
            try registry.complete(trial.id, worker: worker, result: Double(trial.number), run: nil)
            count += 1
        }
        say("claimed \(count)")
        exit(0)
    }
    let provenance = Provenance(
        gitCommit: nil, gitDirty: nil, host: worker.host, os: "test", cpuModel: nil, cpuCount: 1, memoryBytes: 0)
    while let trial = try registry.claim(from: study.id, worker: worker) {
        guard let x = trial.parameters["x"]?.doubleValue else {
            throw RegistryError.invalidJSON(field: "parameters of trial \(trial.id)", reason: "no number x")
        }
        let run = try registry.startRun(
            RunSpec(
                experiment: study.spec.experiment, paper: "test", configJSON: "{\"x\": \(x)}", seed: trial.number,
                provenance: provenance))
        if mode == "hang" {
            say("claimed \(trial.id) \(run)")
            while true { sleep(60) }
        }
        for epoch in 0..<3 {
            try registry.logMetric(
                run, MetricPoint(split: "val", name: "loss", value: x * x + Double(epoch), epoch: epoch))
            try registry.heartbeat(trial.id, worker: worker)
        }
        usleep(2_000)  // Long enough for the other workers to interleave their claims.
        try registry.finish(run, status: .completed)
        try registry.complete(trial.id, worker: worker, result: x * x, run: run)
        say("done \(trial.id) \(run)")
    }
} catch {
    FileHandle.standardError.write(Data("worker \(ProcessInfo.processInfo.processIdentifier): \(error)\n".utf8))
    exit(1)
}
