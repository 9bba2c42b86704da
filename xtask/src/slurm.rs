//! `cargo xtask slurm`: a one-node Slurm cluster on this machine (Debian's `slurm-wlm` and `munge`, installed with
//! apt when missing and run as root), then two sharded runs submitted through `mmrad slurm script` with 4 array
//! tasks and compared byte for byte with their unsharded equivalents:
//! - batch: the PyRadiomics NRRD cases of `../shared/data` (`extract --batch --shard` tasks, then `merge`) against
//!   `mmrad extract --batch` (CSV);
//! - study: a reduced synthetic image cohort (`study run --stage extract --shard` tasks, then `--stage model`)
//!   against a plain `mmrad study run --no-cache` (every output, the manifest's seal, the feature cache tables).
//!
//! Everything lives under `target/xtask-slurm/`: munged with its own key and socket, slurmctld and slurmd with a
//! generated `slurm.conf` (the machine's hostname, CPUs=2, `select/cons_tres`, `proctrack/linuxproc`, no
//! accounting, ports 16817/16818) found through `SLURM_CONF`; the three daemons are stopped (by their pid files)
//! whatever the outcome.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{Failure, project_root};

const SHARDS: usize = 4;
const TOOLS: [&str; 6] = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"];

/// Runs `cargo xtask slurm [--mmrad PATH]`.
pub(crate) fn run(args: Vec<OsString>) -> anyhow::Result<ExitCode> {
    let mut mmrad: Option<PathBuf> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.to_string_lossy().as_ref() {
            "--mmrad" => mmrad = args.next().map(PathBuf::from),
            other => {
                return Err(Failure::usage(
                    format!("unknown argument `{other}`"),
                    "usage: cargo xtask slurm [--mmrad PATH]",
                )
                .into());
            }
        }
    }
    let root = project_root();
    let started = Instant::now();
    install_tools()?;
    let mmrad = match mmrad {
        Some(path) => std::path::absolute(path)?,
        None => crate::study::build_mmrad(&root)?,
    };
    let work = root.join("target/xtask-slurm");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let cluster = Cluster::start(&work)?;
    let result = (|| -> anyhow::Result<()> {
        batch_leg(&cluster, &mmrad, &work.join("batch"), &root)?;
        study_leg(&cluster, &mmrad, &work.join("study"), &root)?;
        Ok(())
    })();
    drop(cluster);
    result?;
    eprintln!(
        "slurm: both sharded runs equal their unsharded outputs byte for byte ({:.0} s in all)",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// Installs `slurm-wlm` and `munge` with apt when a tool is missing (needs root).
fn install_tools() -> anyhow::Result<()> {
    let missing: Vec<&str> = TOOLS.iter().copied().filter(|t| !on_path(t)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!(
        "slurm: `{}` missing; apt-get install slurm-wlm munge",
        missing.join("`, `")
    );
    for args in [
        vec!["update"],
        vec!["install", "-y", "--no-install-recommends", "slurm-wlm", "munge"],
    ] {
        let status = Command::new("apt-get")
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("could not start apt-get")?;
        if !status.success() {
            return Err(Failure::failed(
                format!("`apt-get {}` failed", args.join(" ")),
                Some("run as root on Debian/Ubuntu, or install slurm-wlm and munge yourself".into()),
            )
            .into());
        }
    }
    Ok(())
}

/// The running daemons; stopped on drop.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
}

impl Cluster {
    fn start(work: &Path) -> anyhow::Result<Cluster> {
        let dir = work.join("cluster");
        let munge = dir.join("munge");
        for d in [dir.join("state"), dir.join("spool"), munge.clone()] {
            std::fs::create_dir_all(&d)?;
        }
        let cluster = Cluster {
            conf: dir.join("slurm.conf"),
            dir: dir.clone(),
        };
        chmod(&munge, "700")?;
        // munge's key: 1 KiB from the kernel's generator, readable by its owner only.
        let key_path = munge.join("munge.key");
        let status = Command::new("dd")
            .args(["if=/dev/urandom", "bs=1024", "count=1", "status=none"])
            .arg(format!("of={}", key_path.display()))
            .status()?;
        if !status.success() {
            bail!("could not write the munge key");
        }
        chmod(&key_path, "400")?;
        let socket = munge.join("munge.socket");
        checked(
            Command::new("munged")
                .arg("--force")
                .arg(format!("--key-file={}", key_path.display()))
                .arg(format!("--socket={}", socket.display()))
                .arg(format!("--pid-file={}", munge.join("munged.pid").display()))
                .arg(format!("--log-file={}", munge.join("munged.log").display()))
                .arg(format!("--seed-file={}", munge.join("munge.seed").display())),
            "munged",
        )?;
        let host = String::from_utf8(Command::new("hostname").arg("-s").output()?.stdout)?
            .trim()
            .to_owned();
        let d = dir.display();
        let conf = format!(
            "ClusterName=mmrad\nSlurmctldHost={host}(127.0.0.1)\nSlurmUser=root\nSlurmdUser=root\n\
             AuthType=auth/munge\nAuthInfo=socket={socket}\nCredType=cred/munge\n\
             StateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\n\
             SlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd.pid\n\
             SlurmctldPort=16817\nSlurmdPort=16818\n\
             ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n\
             JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n\
             JobCompType=jobcomp/none\nSchedulerType=sched/builtin\n\
             SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\nMpiDefault=none\nReturnToService=2\n\
             SlurmctldLogFile={d}/slurmctld.log\nSlurmdLogFile={d}/slurmd.log\n\
             NodeName={host} NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN\n\
             PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            socket = socket.display()
        );
        std::fs::write(&cluster.conf, conf)?;
        checked(&mut cluster.command("slurmctld"), "slurmctld")?;
        checked(&mut cluster.command("slurmd"), "slurmd")?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = cluster.command("sinfo").args(["-h", "-o", "%t"]).output()?;
            let state = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if state == "idle" {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "the Slurm node did not become idle in 60 s (state `{state}`); see {}/slurmctld.log and slurmd.log",
                    cluster.dir.display()
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        eprintln!(
            "slurm: one-node cluster `{host}` up (2 CPUs), config {}",
            cluster.conf.display()
        );
        Ok(cluster)
    }

    /// A Slurm command that reads this cluster's configuration.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.env("SLURM_CONF", &self.conf);
        command
    }

    /// Runs a submission script in `dir` and waits until the cluster's queue is empty.
    fn submit_and_wait(&self, script: &Path, dir: &Path) -> anyhow::Result<()> {
        let out = self.command("bash").arg(script).current_dir(dir).output()?;
        if !out.status.success() {
            bail!(
                "`bash {}` failed: {}",
                script.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        eprintln!("slurm: {}", String::from_utf8_lossy(&out.stdout).trim());
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let queue = self.command("squeue").arg("-h").output()?;
            let queue = String::from_utf8_lossy(&queue.stdout).into_owned();
            if queue.trim().is_empty() {
                return Ok(());
            }
            if queue.contains("DependencyNeverSatisfied") {
                let _ = self.command("scancel").arg("--user=root").status();
                bail!(
                    "an array task failed, so the dependent job can never run; see the mmrad-*.out files in {}",
                    dir.display()
                );
            }
            if Instant::now() > deadline {
                bail!("jobs still queued after 600 s:\n{queue}");
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for pid_file in [
            self.dir.join("slurmd.pid"),
            self.dir.join("slurmctld.pid"),
            self.dir.join("munge/munged.pid"),
        ] {
            if let Ok(pid) = std::fs::read_to_string(&pid_file) {
                let _ = Command::new("kill").arg(pid.trim()).status();
            }
        }
    }
}

fn chmod(path: &Path, mode: &str) -> anyhow::Result<()> {
    checked(Command::new("chmod").arg(mode).arg(path), "chmod")
}

fn checked(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start {what}"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn mmrad_ok(mmrad: &Path, dir: &Path, args: &[&str], ok_codes: &[i32]) -> anyhow::Result<String> {
    let out = Command::new(mmrad).args(args).current_dir(dir).output()?;
    if !out.status.code().is_some_and(|c| ok_codes.contains(&c)) {
        bail!(
            "`mmrad {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Batch leg: PyRadiomics cases, 4 array tasks, `mmrad merge`, against `mmrad extract --batch`.
fn batch_leg(cluster: &Cluster, mmrad: &Path, dir: &Path, root: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let data = crate::bench_python::shared_data(root)?.join("pyradiomics");
    let mut csv = String::from("case_id,Image,Mask\n");
    for case in ["brain1", "brain2", "breast1", "lung1", "lung2"] {
        csv.push_str(&format!(
            "{case},{},{}\n",
            data.join(format!("{case}_image.nrrd")).display(),
            data.join(format!("{case}_label.nrrd")).display()
        ));
    }
    std::fs::write(dir.join("cases.csv"), csv)?;
    std::fs::write(
        dir.join("params.yaml"),
        "featureClass:\n  firstorder:\n  glcm:\n  glrlm:\n  glszm:\n  gldm:\n  ngtdm:\nsetting:\n  binWidth: 25\n  label: 1\n",
    )?;
    let script = mmrad_ok(
        mmrad,
        dir,
        &[
            "slurm",
            "script",
            "--batch",
            "cases.csv",
            "-p",
            "params.yaml",
            "-o",
            "features.csv",
            "--shards",
            &SHARDS.to_string(),
        ],
        &[0],
    )?;
    std::fs::write(dir.join("submit.sh"), script)?;
    cluster.submit_and_wait(&dir.join("submit.sh"), dir)?;
    mmrad_ok(
        mmrad,
        dir,
        &[
            "extract",
            "--batch",
            "cases.csv",
            "-p",
            "params.yaml",
            "-q",
            "-o",
            "unsharded.csv",
        ],
        &[0],
    )?;
    let merged = std::fs::read(dir.join("features.csv")).context("the merge job wrote no `features.csv`")?;
    if merged != std::fs::read(dir.join("unsharded.csv"))? {
        bail!(
            "batch: the merged table differs from the unsharded one ({})",
            dir.display()
        );
    }
    eprintln!(
        "slurm: batch of 5 PyRadiomics cases, {SHARDS} shards merged: byte-identical to `extract --batch`"
    );
    Ok(())
}

/// Study leg: a reduced synthetic image cohort, 4 extraction tasks, the model stage, against a plain run.
fn study_leg(cluster: &Cluster, mmrad: &Path, dir: &Path, root: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for name in ["ct.yaml", "mr.yaml", "mg2d.yaml", "us2d.yaml"] {
        std::fs::copy(root.join("studies/params").join(name), dir.join(name))?;
    }
    let protocol = std::fs::read_to_string(root.join("studies/smoke-images.yaml"))?
        .replace("n: 40, events: 14 }", "n: 24, events: 8, dir: cohort }")
        .replace("params/", "");
    if !protocol.contains("dir: cohort") {
        bail!("studies/smoke-images.yaml changed: cannot reduce its cohort");
    }
    std::fs::write(dir.join("study.yaml"), protocol)?;
    let script = mmrad_ok(
        mmrad,
        dir,
        &["slurm", "script", "study.yaml", "--shards", &SHARDS.to_string()],
        &[0],
    )?;
    std::fs::write(dir.join("submit.sh"), script)?;
    cluster.submit_and_wait(&dir.join("submit.sh"), dir)?;
    let sharded = dir.join("runs/smoke-images");
    if !sharded.join("manifest.json").is_file() {
        bail!("the model job wrote no run into {}", sharded.display());
    }
    let cache = dir.join("cohort/.mmrad-cache");
    // The modality tables and the per-case cache (`cases/`), without the shard parts.
    let tables = || -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        Ok(files(&cache)?
            .into_iter()
            .filter(|(name, _)| !name.contains(".shard-"))
            .collect())
    };
    let assembled = tables()?;
    // `expected:` may miss on the reduced cohort (exit 3); the outputs are compared, not the bounds.
    mmrad_ok(
        mmrad,
        dir,
        &[
            "study",
            "run",
            "study.yaml",
            "--out",
            "plain",
            "--no-cache",
            "--quiet",
        ],
        &[0, 3],
    )?;
    if tables()? != assembled {
        bail!("study: the cache assembled from the shards differs from the unsharded extraction");
    }
    let (a, b) = (files(&dir.join("plain"))?, files(&sharded)?);
    if a.iter().map(|(n, _)| n).ne(b.iter().map(|(n, _)| n)) {
        bail!("study: the sharded run wrote other files than the plain run");
    }
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        let same = if name == "manifest.json" {
            let seal = |bytes: &[u8]| -> Option<String> {
                let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
                v["manifest_sha256"].as_str().map(str::to_owned)
            };
            seal(x).is_some() && seal(x) == seal(y)
        } else {
            x == y
        };
        if !same {
            bail!("study: `{name}` differs between the sharded and the plain run");
        }
    }
    eprintln!(
        "slurm: study of 24 synthetic image cases ({} modality tables), {SHARDS} shards + model job: {} outputs identical to `study run`",
        assembled
            .iter()
            .filter(|(name, _)| name.starts_with("features-"))
            .count(),
        a.len()
    );
    Ok(())
}

/// Every file under `dir` (relative name, bytes), sorted.
fn files(dir: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
                out.push((name, std::fs::read(&path)?));
            }
        }
    }
    out.sort();
    Ok(out)
}
