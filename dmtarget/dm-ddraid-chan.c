// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ddraid: the channel between a cluster-mode ddraid target and its
 * node's ddraidd (docs/kernel-channel.md). A misc device, root only. The
 * first write on an open file must be ATTACH naming the dm device; from
 * then on read() returns whole 64-byte messages from the target, write()
 * takes whole messages for it, and poll() says POLLIN when messages wait
 * and POLLHUP once the target is gone. No sockets in the kernel, no
 * descriptor passing: closing either side ends the binding and wakes
 * whoever waits.
 *
 * Locking: ddraid_chan_mutex protects the list of cluster-mode targets and
 * every binding of a channel to a target (chan->ctx and ctx->cl.chan), so
 * the target's table cannot be destroyed while a read or write uses it.
 * It is never held while sleeping for messages or copying to or from user
 * memory. The target's messages and state are under its cl.lock
 * (dm-ddraid-region.c).
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/kdev_t.h>

#include "dm-ddraid.h"

static DEFINE_MUTEX(ddraid_chan_mutex);
static LIST_HEAD(ddraid_cluster_targets);	/* ddraid_cluster.node */

static void chan_free(struct kref *kref)
{
	kfree(container_of(kref, struct ddraid_chan, kref));
}

/* Called with cl.lock held: messages wait. */
void ddraid_chan_kick(struct ddraid_chan *chan)
{
	WRITE_ONCE(chan->kick, true);
	wake_up_interruptible(&chan->wait);
}

/* Unbind (under ddraid_chan_mutex); @dead: the target is going away. */
static void chan_unbind(struct ddraid_chan *chan, bool dead)
{
	struct ddraid_ctx *ctx = chan->ctx;

	ddraid_cluster_detach(ctx);
	chan->ctx = NULL;
	if (dead)
		WRITE_ONCE(chan->dead, true);
	wake_up_interruptible_all(&chan->wait);
	kref_put(&chan->kref, chan_free);	/* the target's reference */
}

/* A cluster-mode table was loaded: daemons may attach to it. */
int ddraid_chan_register(struct ddraid_ctx *ctx)
{
	struct mapped_device *md = dm_table_get_md(ctx->ti->table);

	ctx->cl.devt = new_encode_dev(disk_devt(dm_disk(md)));
	mutex_lock(&ddraid_chan_mutex);
	list_add_tail(&ctx->cl.node, &ddraid_cluster_targets);
	mutex_unlock(&ddraid_chan_mutex);
	return 0;
}

/* The table goes: its daemon (if any) sees POLLHUP and EOF. */
void ddraid_chan_unregister(struct ddraid_ctx *ctx)
{
	mutex_lock(&ddraid_chan_mutex);
	list_del_init(&ctx->cl.node);
	if (ctx->cl.chan)
		chan_unbind(ctx->cl.chan, true);
	mutex_unlock(&ddraid_chan_mutex);
}

/*
 * ATTACH @devt: bind to the cluster-mode target of that dm device. While
 * a table is being replaced two exist: the live one (resumed) is bound;
 * before the first resume, the loaded one.
 */
static int chan_attach(struct ddraid_chan *chan, u64 devt)
{
	struct ddraid_ctx *ctx, *found = NULL;

	list_for_each_entry(ctx, &ddraid_cluster_targets, cl.node) {
		if (ctx->cl.devt != devt)
			continue;
		if (ctx->cl.live || !found)
			found = ctx;
		if (ctx->cl.live)
			break;
	}
	if (!found)
		return -ENODEV;
	if (found->cl.chan)
		return -EBUSY;
	kref_get(&chan->kref);
	chan->ctx = found;
	chan->attached = true;
	ddraid_cluster_attach(found, chan);
	DMINFO("%s: daemon attached",
	       dm_device_name(dm_table_get_md(found->ti->table)));
	return 0;
}

/*
 * Preresume: @ctx becomes the dm device's live table. If it replaces
 * another (a reload), it takes that one's cluster state and daemon over,
 * so that grants, locks and the channel outlive the table swap.
 */
void ddraid_chan_go_live(struct ddraid_ctx *ctx)
{
	struct ddraid_ctx *old;

	mutex_lock(&ddraid_chan_mutex);
	if (ctx->cl.live)
		goto out;
	list_for_each_entry(old, &ddraid_cluster_targets, cl.node) {
		if (old == ctx || old->cl.devt != ctx->cl.devt ||
		    !old->cl.live)
			continue;
		if (ctx->cl.chan)	/* cannot be: attach prefers the live */
			chan_unbind(ctx->cl.chan, true);
		if (ddraid_cluster_take_over(ctx, old)) {
			if (ctx->cl.chan)
				ctx->cl.chan->ctx = ctx;
			DMINFO("%s: new table took over the cluster state",
			       dm_device_name(dm_table_get_md(ctx->ti->table)));
		} else {
			/* The daemon starts over with the new table. */
			DMWARN("%s: new table has other regions: daemon detached",
			       dm_device_name(dm_table_get_md(ctx->ti->table)));
			if (old->cl.chan)
				chan_unbind(old->cl.chan, true);
			old->cl.live = false;
		}
		break;
	}
	ctx->cl.live = true;
out:
	mutex_unlock(&ddraid_chan_mutex);
}

static int chan_open(struct inode *inode, struct file *file)
{
	struct ddraid_chan *chan;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	chan = kzalloc(sizeof(*chan), GFP_KERNEL);
	if (!chan)
		return -ENOMEM;
	kref_init(&chan->kref);
	init_waitqueue_head(&chan->wait);
	mutex_init(&chan->rlock);
	mutex_init(&chan->wlock);
	file->private_data = chan;
	return stream_open(inode, file);
}

static int chan_release(struct inode *inode, struct file *file)
{
	struct ddraid_chan *chan = file->private_data;

	mutex_lock(&ddraid_chan_mutex);
	if (chan->ctx) {
		DMINFO("%s: daemon detached",
		       dm_device_name(dm_table_get_md(chan->ctx->ti->table)));
		chan_unbind(chan, false);
	}
	mutex_unlock(&ddraid_chan_mutex);
	kref_put(&chan->kref, chan_free);
	return 0;
}

/* Up to @max messages into chan->rbuf; how many, or -errno. */
static int chan_fill(struct ddraid_chan *chan, unsigned int max)
{
	struct ddraid_chan_limits lim;
	struct ddraid_chan_msg m;
	struct ddraid_ctx *ctx;
	const char *why;
	int n = 0;

	mutex_lock(&ddraid_chan_mutex);
	ctx = chan->ctx;
	if (!ctx) {
		n = chan->attached ? 0 : -ENOTCONN;
		goto out;
	}
	lim.regions = ctx->cl.core.regions;
	lim.members = ctx->geom.members;
	while (n < max && !ddraid_cluster_next_msg(ctx, &m)) {
		if (WARN_ON_ONCE(ddraid_chan_encode(&m, &lim, chan->rbuf +
						    n * DDRAID_CHAN_MSG_BYTES,
						    &why)))
			continue;
		n++;
	}
out:
	mutex_unlock(&ddraid_chan_mutex);
	return n;
}

static ssize_t chan_read(struct file *file, char __user *buf, size_t len,
			 loff_t *ppos)
{
	struct ddraid_chan *chan = file->private_data;
	unsigned int max = min_t(size_t, len / DDRAID_CHAN_MSG_BYTES,
				 DDRAID_CHAN_BATCH);
	ssize_t ret;
	int n;

	if (!max)
		return -EINVAL;
	if (mutex_lock_interruptible(&chan->rlock))
		return -ERESTARTSYS;
	for (;;) {
		n = chan_fill(chan, max);
		if (n < 0) {
			ret = n;
			break;
		}
		if (n) {
			ret = n * DDRAID_CHAN_MSG_BYTES;
			if (copy_to_user(buf, chan->rbuf, ret))
				ret = -EFAULT;
			break;
		}
		if (READ_ONCE(chan->dead)) {
			ret = 0;	/* end of file: the target is gone */
			break;
		}
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		if (wait_event_interruptible(chan->wait,
					     READ_ONCE(chan->kick) ||
					     READ_ONCE(chan->dead))) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	mutex_unlock(&chan->rlock);
	return ret;
}

/*
 * Validate every message of one write() before any is applied, so that a
 * refused write changes nothing (I8). Under ddraid_chan_mutex.
 */
static int chan_apply(struct ddraid_chan *chan, unsigned int n)
{
	struct ddraid_ctx *ctx = chan->ctx;
	struct ddraid_chan_limits lim = {
		.regions = ctx->cl.core.regions,
		.members = ctx->geom.members,
	};
	struct ddraid_chan_msg m;
	const char *why = NULL;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const u8 *b = chan->wbuf + i * DDRAID_CHAN_MSG_BYTES;

		if (ddraid_chan_decode(b, DDRAID_CHAN_MSG_BYTES, &lim, &m,
				       &why))
			goto bad;
		why = "message type the daemon does not send";
		if (ddraid_chan_direction(m.type) != DDRAID_CHAN_TO_KERNEL ||
		    m.type == DDRAID_CHAN_ATTACH)
			goto bad;
	}
	for (i = 0; i < n; i++) {
		ddraid_chan_decode(chan->wbuf + i * DDRAID_CHAN_MSG_BYTES,
				   DDRAID_CHAN_MSG_BYTES, &lim, &m, NULL);
		ddraid_cluster_apply(ctx, &m);
	}
	return 0;
bad:
	DMERR_LIMIT("%s: refused a daemon message (%u of %u in one write): %s",
		    dm_device_name(dm_table_get_md(ctx->ti->table)), i + 1, n,
		    why ? why : "invalid");
	return -EINVAL;
}

static ssize_t chan_write(struct file *file, const char __user *buf,
			  size_t len, loff_t *ppos)
{
	struct ddraid_chan *chan = file->private_data;
	struct ddraid_chan_msg m;
	const char *why = NULL;
	unsigned int n;
	int ret;

	if (!len || len % DDRAID_CHAN_MSG_BYTES)
		return -EINVAL;
	n = min_t(size_t, len / DDRAID_CHAN_MSG_BYTES, DDRAID_CHAN_BATCH);
	if (mutex_lock_interruptible(&chan->wlock))
		return -ERESTARTSYS;
	if (copy_from_user(chan->wbuf, buf, n * DDRAID_CHAN_MSG_BYTES)) {
		ret = -EFAULT;
		goto out;
	}
	mutex_lock(&ddraid_chan_mutex);
	if (chan->ctx) {
		ret = chan_apply(chan, n);
	} else if (READ_ONCE(chan->dead)) {
		ret = -ENODEV;
	} else if (chan->attached) {
		ret = -ENOTCONN;
	} else if (n != 1 ||
		   ddraid_chan_decode(chan->wbuf, DDRAID_CHAN_MSG_BYTES, NULL,
				      &m, &why) ||
		   m.type != DDRAID_CHAN_ATTACH) {
		/* The first message is ATTACH, alone. */
		DMERR_LIMIT("/dev/ddraid: expected ATTACH first: %s",
			    why ? why : "another message");
		ret = -EINVAL;
	} else {
		ret = chan_attach(chan, m.arg);
	}
	mutex_unlock(&ddraid_chan_mutex);
out:
	mutex_unlock(&chan->wlock);
	if (ret)
		return ret;
	return (ssize_t)n * DDRAID_CHAN_MSG_BYTES;
}

static __poll_t chan_poll(struct file *file, poll_table *wait)
{
	struct ddraid_chan *chan = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &chan->wait, wait);
	if (READ_ONCE(chan->dead))
		return EPOLLHUP;
	if (READ_ONCE(chan->kick))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static const struct file_operations chan_fops = {
	.owner = THIS_MODULE,
	.open = chan_open,
	.release = chan_release,
	.read = chan_read,
	.write = chan_write,
	.poll = chan_poll,
	.llseek = no_llseek,
};

static struct miscdevice chan_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ddraid",
	.fops = &chan_fops,
	.mode = 0600,
};

int ddraid_chan_init(void)
{
	return misc_register(&chan_misc);
}

void ddraid_chan_exit(void)
{
	misc_deregister(&chan_misc);
}
